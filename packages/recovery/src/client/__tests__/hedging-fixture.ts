import { CALL_CONTEXT, CallContext, callContextOf, VirtualScheduler } from '@ballast/core';
import { AbortError } from 'abort-controller-x';
import { Status, type CallOptions, type ClientMiddleware, type ClientMiddlewareCall } from 'nice-grpc-common';
import { createHedging, type HedgingOptions } from '../hedging.js';

// Hedging over a fake host (as in call-attempts.test.ts) on a VirtualScheduler whose timers fire
// only when the test moves it: no network, no real time.

/** The scheduler's time, moved by the test, with the promises of each fired timer settled. */
export class TestTime {
  readonly scheduler = new VirtualScheduler();
  async advance(ms: number): Promise<void> {
    await this.scheduler.advanceAsync(ms);
    await settle();
  }
}

export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Attempt {
  readonly endpoint: string;
  readonly method: string;
  /** The signal the attempt was sent with. */
  readonly signal: AbortSignal | undefined;
  aborted: boolean;
  answer(): void;
}

/**
 * A host that picks, like the balanced channel, the first endpoint the call does not avoid,
 * records the attempt in the context and says how many endpoints were eligible; each attempt
 * waits until the test answers it or it is aborted (through its signal, or, when
 * `transportCancels`, through its record's cancel as the balanced channel offers).
 */
export function fakeHost(endpoints: readonly string[], transportCancels = false) {
  const attempts: Attempt[] = [];
  const host = { layer: undefined as unknown as ClientMiddleware, attempts, order: endpoints };
  host.layer = (call, options) => {
    const context = callContextOf(options)!;
    const avoid = context.avoid();
    const endpoint = host.order.find((e) => !avoid.has(e)) ?? host.order[0]!;
    const record = context.begin(endpoint);
    context.eligibleEndpoints = endpoints.length;
    let answer!: () => void;
    const attempt: Attempt = {
      endpoint,
      method: call.method.path,
      signal: options.signal,
      aborted: false,
      answer: () => answer(),
    };
    attempts.push(attempt);
    return (async function* run() {
      yield* [];
      await new Promise<void>((resolve, reject) => {
        answer = resolve;
        const cancel = () => {
          attempt.aborted = true;
          Object.assign(record, { code: Status.CANCELLED, signal: 'cancelled' });
          reject(new AbortError());
        };
        options.signal?.addEventListener('abort', cancel);
        if (transportCancels) record.cancel = cancel;
      });
      Object.assign(record, { code: Status.OK, signal: 'ok' });
      return `served by ${endpoint}`;
    })() as never;
  };
  return host;
}

export function method(path: string) {
  return { path, requestStream: false, responseStream: false, options: { idempotencyLevel: 'IDEMPOTENT' } } as const;
}

export function setup(endpoints: readonly string[], options: HedgingOptions = {}, transportCancels = false) {
  const time = new TestTime();
  const host = fakeHost(endpoints, transportCancels);
  // An idle event loop unless a test says otherwise: the real one depends on the machine.
  const lag = { ms: 0, busy: 0.5 };
  const hedging = createHedging({
    scheduler: time.scheduler,
    loopLoad: { lagMs: () => lag.ms, utilization: () => lag.busy, close: () => {} },
    ...options,
  });
  const start = (path = '/test.Service/Get', signal?: AbortSignal) => {
    const call = {
      method: method(path),
      requestStream: false,
      request: 'req',
      responseStream: false,
      next: (request: unknown, options: CallOptions) => host.layer({ ...call, request } as never, options),
    } as unknown as ClientMiddlewareCall<unknown, unknown>;
    const context = new CallContext(path);
    const options = { [CALL_CONTEXT]: context, signal } as CallOptions;
    const iterator = hedging.middleware(call, options)[Symbol.asyncIterator]();
    const result = iterator.next().then((r) => r.value as string);
    result.catch(() => {});
    return { context, result };
  };
  return { time, host, hedging, start, lag };
}
