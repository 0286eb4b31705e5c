import type { AttemptObserver, AttemptRecord, CallEvent, Endpoint } from '@ballast/core';
import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { Status } from 'nice-grpc-common';

/** Attribute names: RPC semantic conventions where they have one, `ballast.*` for the rest. */
export const AttemptAttributes = {
  number: 'ballast.attempt.number',
  kind: 'ballast.attempt.kind',
  endpointId: 'ballast.endpoint.id',
  signal: 'ballast.attempt.signal',
  movedBecause: 'ballast.attempt.moved_because',
  statusCode: 'rpc.grpc.status_code',
} as const;

/** Names of the events on a call's span. */
export const CallEventNames = {
  'breaker-refused': 'ballast.breaker_refused',
  'budget-refused': 'ballast.budget_refused',
  moved: 'ballast.attempt_moved',
} as const satisfies Record<CallEvent['type'], string>;

const setter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

/**
 * One client span per attempt of a call, under the call's span: which endpoint it went to, its
 * number, whether it was the first, a retry or a hedge, and why it ended (status code, the
 * taxonomy's signal, and the reason it was moved when it was). The trace context sent with each
 * attempt names the attempt's span, so the server's span hangs under the attempt that reached
 * it. The call's breaker refusals, budget refusals and moves are events on the call's span.
 */
export class AttemptSpans implements AttemptObserver {
  readonly #spans = new Map<AttemptRecord, Span>();
  readonly #parent;
  readonly #common: Attributes;

  constructor(
    private readonly tracer: Tracer,
    private readonly callSpan: Span,
    private readonly method: string,
  ) {
    this.#parent = trace.setSpan(ROOT_CONTEXT, callSpan);
    const [, service, name] = method.split('/');
    this.#common = { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': name };
  }

  attemptStarted(attempt: AttemptRecord, endpoint: Endpoint): Record<string, string> {
    const { host, port } = splitAddress(endpoint.address);
    const span = this.tracer.startSpan(
      `Attempt.${this.method.slice(1)}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...this.#common,
          [AttemptAttributes.number]: attempt.number,
          [AttemptAttributes.kind]: attempt.kind,
          [AttemptAttributes.endpointId]: endpoint.id,
          'server.address': host,
          ...(port !== undefined && { 'server.port': port }),
        },
      },
      this.#parent,
    );
    this.#spans.set(attempt, span);
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers, setter);
    return headers;
  }

  attemptEnded(attempt: AttemptRecord): void {
    const span = this.#spans.get(attempt);
    if (span === undefined) return;
    this.#spans.delete(attempt);
    const code = attempt.code ?? Status.UNKNOWN;
    span.setAttribute(AttemptAttributes.statusCode, code);
    if (attempt.signal !== undefined) span.setAttribute(AttemptAttributes.signal, attempt.signal);
    if (attempt.movedBecause !== undefined) span.setAttribute(AttemptAttributes.movedBecause, attempt.movedBecause);
    // A hedge that lost or an attempt this side cancelled did not fail: it was stopped.
    if (code !== Status.OK && attempt.signal !== 'cancelled') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${Status[code]} (${attempt.signal})` });
    }
    span.end();
  }

  event(event: CallEvent): void {
    const name = CallEventNames[event.type];
    switch (event.type) {
      case 'breaker-refused':
        this.callSpan.addEvent(name, { 'ballast.breaker.scope': event.scope, 'ballast.breaker.name': event.name });
        break;
      case 'budget-refused':
        this.callSpan.addEvent(name, { 'ballast.budget.refused': event.refused });
        break;
      case 'moved':
        this.callSpan.addEvent(name, {
          [AttemptAttributes.endpointId]: event.endpointId,
          'ballast.move.reason': event.reason,
        });
        break;
    }
  }
}

function splitAddress(address: string): { host: string; port: number | undefined } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return { host: address, port: undefined };
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}
