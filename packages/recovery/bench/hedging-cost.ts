import { spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { CALL_CONTEXT, CallContext, callContextOf } from '@ballast/core';
import type { CallOptions, ClientMiddleware, ClientMiddlewareCall } from 'nice-grpc-common';
import { createHedging } from '../src/index.js';

const METHOD = {
  path: '/ballast.bench.v1.Bench/Get',
  requestStream: false,
  responseStream: false,
  options: { idempotencyLevel: 'IDEMPOTENT' },
} as const;
const CONCURRENCY = 64;
const noop = () => {};

/**
 * A transport that answers on the next microtask, doing what the balanced channel does for the
 * layers above: an attempt record with a cancel in the call's context, and a listener on the
 * attempt's signal. No network, so what is left is the middleware's own work.
 */
function answerAtOnce(_request: unknown, options: CallOptions) {
  const record = callContextOf(options)?.begin('bench');
  if (record) record.cancel = noop;
  const signal = options.signal;
  // eslint-disable-next-line require-yield -- a unary attempt returns its answer and yields nothing
  return (async function* attempt() {
    signal?.addEventListener('abort', noop);
    await null;
    signal?.removeEventListener('abort', noop);
    return 'ok';
  })();
}

const passThrough: ClientMiddleware = async function* passThrough(call, options) {
  return yield* call.next(call.request, options);
};

/** This process's CPU time per call, µs, for `calls` calls through `middleware`, 64 in flight. */
async function cpuPerCall(middleware: ClientMiddleware, calls: number, signal: AbortSignal): Promise<number> {
  const call = {
    method: METHOD,
    requestStream: false,
    responseStream: false,
    request: {},
    next: answerAtOnce,
  } as unknown as ClientMiddlewareCall<unknown, unknown>;
  let started = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < calls && !signal.aborted) {
        started++;
        // As under connect(): a context per call, and a signal of its own from the deadline layer.
        const options = { [CALL_CONTEXT]: new CallContext(METHOD.path), signal: new AbortController().signal };
        const attempt = middleware(call, options as CallOptions);
        await attempt[Symbol.asyncIterator]().next();
      }
    }),
  );
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / Math.max(1, started);
}

/**
 * What the hedging middleware costs a call that needs no backup (nearly every call): its CPU
 * per call over a transport that answers at once, beside a pass-through middleware in the same
 * rounds. CPU time rather than calls/s, and no server: the figure moves less with what else
 * runs on the machine than a calls/s comparison does.
 */
export const scenario: Scenario = {
  name: 'hedging-cost',
  description:
    'the hedging middleware’s own CPU per call (adaptive delay, no backup due) beside a pass-through middleware',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 9;
    const calls = quick ? 5_000 : 50_000;
    // No loop measurement: this loop keeps the CPU busy, and a saturated client's hedging stands
    // aside; the figure is what a call costs on a client with room, readied for a backup.
    const hedging = createHedging({ delayMs: 'adaptive', loopLoad: false });
    const variants = { 'pass-through': passThrough, hedging: hedging.middleware };
    const names = Object.keys(variants) as (keyof typeof variants)[];
    const cpu = { 'pass-through': [] as number[], hedging: [] as number[] };
    try {
      for (const name of names) await cpuPerCall(variants[name], calls / 5, signal); // JIT warm-up
      for (let run = 0; run < runs && !signal.aborted; run++) {
        for (const name of run % 2 === 0 ? names : [...names].reverse()) {
          progress(`run ${run + 1}/${runs}, ${name}`);
          cpu[name].push(await cpuPerCall(variants[name], calls, signal));
        }
      }
    } finally {
      hedging.close();
    }
    const results: BenchRecord[] = names.map((variant) => ({
      variant,
      concurrency: CONCURRENCY,
      ...spread('cpu_us_per_call', cpu[variant], 2),
    }));
    results.push({
      variant: 'hedging',
      versus: 'pass-through',
      concurrency: CONCURRENCY,
      ...spread(
        'added_cpu_us_per_call',
        cpu.hedging.map((x, i) => x - cpu['pass-through'][i]!),
        2,
      ),
    });
    return {
      params: { runs, calls, concurrency: CONCURRENCY, transport: 'in process, answers on the next microtask' },
      results,
      anchors: [
        'added = hedging minus a pass-through middleware, same round; the real call it wraps costs ≈ 250–400 µs of client CPU on this machine (overhead scenario)',
      ],
    };
  },
};
