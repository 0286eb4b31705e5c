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
