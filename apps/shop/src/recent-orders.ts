import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

/** The span the shop opens around each order it places (see placeOrderResiliently, the gateway). */
export const ORDER_SPAN = 'shop.order';

/** One bar of a waterfall: where a span starts and how long it lasts, relative to the order. */
export interface WaterfallBar {
  readonly name: string;
  readonly kind: 'client' | 'server' | 'internal';
  readonly depth: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  /** The replica or endpoint, the attempt's kind and signal, when the span names them. */
  readonly detail: string;
}

export interface Waterfall {
  readonly traceId: string;
  readonly durationMs: number;
  readonly bars: readonly WaterfallBar[];
}

interface Trace {
  spans: ReadableSpan[];
  root: ReadableSpan | undefined;
}

/**
 * A span processor that keeps the spans of the last `maxOrders` orders' traces and answers with
 * the waterfall of the slowest of them: what the dashboard shows. Bounded: a trace is dropped with
 * its order once `maxOrders` newer orders ended, and a trace never holds more than `maxSpans`.
 */
export class RecentOrders implements SpanProcessor {
  readonly #traces = new Map<string, Trace>();
  readonly #orders: string[] = [];

  constructor(
    private readonly maxOrders = 100,
    private readonly maxSpans = 200,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let trace = this.#traces.get(traceId);
    if (trace === undefined) {
      trace = { spans: [], root: undefined };
      this.#traces.set(traceId, trace);
      this.#evictUnfinished();
    }
    if (trace.spans.length < this.maxSpans) trace.spans.push(span);
    if (span.name === ORDER_SPAN && span.parentSpanContext === undefined) {
      trace.root = span;
      this.#orders.push(traceId);
      if (this.#orders.length > this.maxOrders) this.#traces.delete(this.#orders.shift()!);
    }
  }

  /** Traces with no order ended here yet (in progress, or not orders): the oldest goes past a bound. */
  #evictUnfinished(): void {
    if (this.#traces.size <= this.maxOrders * 2) return;
    for (const [id, trace] of this.#traces) {
      if (trace.root === undefined) {
        this.#traces.delete(id);
        return;
      }
    }
  }

  /** The slowest recent order as a waterfall, parents before children; undefined before any order. */
  slowest(): Waterfall | undefined {
    let slowest: Trace | undefined;
    for (const id of this.#orders) {
      const trace = this.#traces.get(id);
      if (trace?.root && (!slowest || ms(trace.root.duration) > ms(slowest.root!.duration))) slowest = trace;
    }
    if (!slowest) return undefined;
    const root = slowest.root!;
    const children = new Map<string, ReadableSpan[]>();
    for (const span of slowest.spans) {
      const parent = span.parentSpanContext?.spanId ?? '';
      children.set(parent, [...(children.get(parent) ?? []), span]);
    }
    const bars: WaterfallBar[] = [];
    const visit = (span: ReadableSpan, depth: number) => {
      bars.push(bar(span, depth, root.startTime));
      const under = (children.get(span.spanContext().spanId) ?? []).sort((a, b) => ms(a.startTime) - ms(b.startTime));
      for (const child of under) visit(child, depth + 1);
    };
    visit(root, 0);
    return { traceId: root.spanContext().traceId, durationMs: ms(root.duration), bars };
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.#traces.clear();
    this.#orders.length = 0;
  }
}

function bar(span: ReadableSpan, depth: number, origin: HrTime): WaterfallBar {
  const a = span.attributes;
  const detail = [
    a['ballast.endpoint.id'],
    a['ballast.attempt.kind'],
    a['ballast.attempt.signal'],
    a['ballast.attempt.moved_because'] && `moved: ${String(a['ballast.attempt.moved_because'])}`,
  ].filter((part) => part !== undefined && part !== '');
  return {
    name: span.name,
    kind: span.kind === SpanKind.CLIENT ? 'client' : span.kind === SpanKind.SERVER ? 'server' : 'internal',
    depth,
    startMs: ms(span.startTime) - ms(origin),
    durationMs: ms(span.duration),
    error: span.status.code === SpanStatusCode.ERROR,
    detail: detail.map(String).join(' · '),
  };
}

function ms([seconds, nanos]: HrTime): number {
  return seconds * 1000 + nanos / 1e6;
}
