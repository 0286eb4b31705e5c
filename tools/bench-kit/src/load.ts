import { ClientError } from 'nice-grpc-common';

/** One call of a load run: when it started (ms after the run's origin), how long it took, how it ended. */
export interface CallSample {
  readonly startMs: number;
  readonly latencyMs: number;
  readonly ok: boolean;
  /** gRPC status code of a failed call (-1 when the error was not a ClientError). */
  readonly code?: number;
}

export interface LoadOptions {
  /** Parallel callers, each calling again as soon as its last call ends. */
  readonly concurrency: number;
  /** No call starts after this long (calls in flight then still finish). */
  readonly durationMs: number;
  /** No more calls than this in total (bounds the load in count as well as time). */
  readonly maxCalls?: number;
  readonly signal: AbortSignal;
  /** Time zero of the samples; defaults to the moment the run starts. */
  readonly originMs?: number;
}

/**
 * Closed-loop load: `concurrency` callers repeat `call` until the duration or call count is used
 * up or the signal aborts. A failed call is recorded, never thrown: scenarios count failures.
 */
export async function closedLoop(call: () => Promise<unknown>, options: LoadOptions): Promise<CallSample[]> {
  const origin = options.originMs ?? performance.now();
  const end = performance.now() + options.durationMs;
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const samples: CallSample[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < end && started < maxCalls && !options.signal.aborted) {
        started++;
        const begun = performance.now();
        try {
          await call();
          samples.push({ startMs: begun - origin, latencyMs: performance.now() - begun, ok: true });
        } catch (error) {
          const code = error instanceof ClientError ? error.code : -1;
          samples.push({ startMs: begun - origin, latencyMs: performance.now() - begun, ok: false, code });
        }
      }
    }),
  );
  return samples;
}

export interface OpenLoopOptions {
  /** Calls started per second, whatever the earlier ones do. */
  readonly ratePerS: number;
  /** No call starts after this long (calls in flight then still finish). */
  readonly durationMs: number;
  /** Calls in flight at most: one due while this many wait is counted unsent, not piled up. */
  readonly maxInFlight: number;
  readonly signal: AbortSignal;
  /** Time zero of the samples; defaults to the moment the run starts. */
  readonly originMs?: number;
  /** The pacing tick, ms: the calls due within one tick start together at its beginning. */
  readonly tickMs?: number;
}

export interface OpenLoopRun {
  readonly samples: CallSample[];
  /** Calls that were due while `maxInFlight` waited: never sent, and not owed later either. */
  readonly unsent: number;
}

/**
 * Open-loop load: calls start at `ratePerS` as independent users' requests arrive, whether or
 * not the earlier ones have answered, so a slow answer does not slow the offered load down (a
 * closed loop's callers wait, and so hide the very latency being measured). The client's CPU
 * use is what the rate makes it, not all it has. A failed call is recorded, never thrown.
 */
export async function openLoop(call: () => Promise<unknown>, options: OpenLoopOptions): Promise<OpenLoopRun> {
  const tickMs = options.tickMs ?? 5;
  const start = performance.now();
  const origin = options.originMs ?? start;
  const samples: CallSample[] = [];
  const pending = new Set<Promise<void>>();
  let unsent = 0;
  let owed = 0;
  let last = start;
  const send = () => {
    const begun = performance.now();
    const done: Promise<void> = call().then(
      () => void samples.push({ startMs: begun - origin, latencyMs: performance.now() - begun, ok: true }),
      (error: unknown) => {
        const code = error instanceof ClientError ? error.code : -1;
        samples.push({ startMs: begun - origin, latencyMs: performance.now() - begun, ok: false, code });
      },
    );
    const tracked = done.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  for (let tick = 1; !options.signal.aborted; tick++) {
    const now = performance.now();
    if (now - start >= options.durationMs) break;
    // Owed by elapsed time, not by ticks: a late timer sends the calls it was late for.
    owed += ((now - last) * options.ratePerS) / 1000;
    last = now;
    for (; owed >= 1; owed--) {
      if (pending.size >= options.maxInFlight) {
        unsent += Math.floor(owed);
        owed -= Math.floor(owed);
        break;
      }
      send();
    }
    const wait = start + tick * tickMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(pending);
  return { samples, unsent };
}

/** Latency quantiles per time bucket, for charts of latency through an incident. */
export function timeline(
  samples: readonly CallSample[],
  bucketMs: number,
): { t_ms: number; p50_ms: number; p99_ms: number; max_ms: number; calls: number; failed_calls: number }[] {
  const buckets = new Map<number, CallSample[]>();
  for (const s of samples) {
    const key = Math.floor(s.startMs / bucketMs) * bucketMs;
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = []));
    bucket.push(s);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, bucket]) => {
      const latencies = bucket.map((s) => s.latencyMs).sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
      return {
        t_ms: t,
        p50_ms: round(at(0.5)),
        p99_ms: round(at(0.99)),
        max_ms: round(latencies.at(-1)!),
        calls: bucket.length,
        failed_calls: bucket.filter((s) => !s.ok).length,
      };
    });
}

function round(x: number): number {
  return Number(x.toFixed(2));
}
