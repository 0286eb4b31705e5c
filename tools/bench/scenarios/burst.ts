import { connect, connection, disconnect } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { Status } from 'nice-grpc-common';
import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { closedLoop, quantile, spread } from '@ballast/bench-kit';
import { silentLogger } from '../src/fault-run.js';
import { startFleet, type Fleet } from '../src/fleet.js';
import {
  replicaMetricsUrl,
  scrapeServerCalls,
  spawnServeReplica,
  type ServerCallCounts,
} from '../src/serve-replica.js';

const REPLICAS = 2;
/** Per replica: WORKERS slots of WORK_MS awaited, uncancellable work; calls beyond them queue. */
const WORKERS = 8;
const WORK_MS = 10;
const CAPACITY_PER_REPLICA_PER_S = (WORKERS * 1000) / WORK_MS;
const CAPACITY_PER_S = REPLICAS * CAPACITY_PER_REPLICA_PER_S;
const STEPS = [8, 16, 32, 64, 128] as const;
const WARM_MS = 500;

interface StepSample {
  concurrency: number;
  calls: number;
  failed: number;
  codes: number[];
  okPerS: number;
  p50: number;
  p99: number;
  /** Attempts that reached a server, and those it refused with RESOURCE_EXHAUSTED (servers' /metrics). */
  attempts: number;
  shed: number;
  /** Detector changes to 'ejected' or 'down' while the step ran, and their labels. */
  ejections: number;
  ejectedBy: string[];
}

/**
 * One ramp: a fresh connect() client with its defaults over the fleet, closed-loop load stepped
 * through STEPS. The servers' counters are read before and after each step; every detector change
 * to 'ejected' or 'down' counts for the step running when it came.
 */
async function ramp(
  fleet: Fleet,
  stepMs: number,
  maxCallsPerStep: number,
  signal: AbortSignal,
  progress: (step: number) => void,
): Promise<StepSample[]> {
  const metricsUrls = await Promise.all(fleet.replicas.map((replica) => replicaMetricsUrl(replica)));
  // undefined once aborted: the fleet is being stopped, and a cut-short step is not a figure.
  const scrape = () =>
    Promise.all(metricsUrls.map((url) => scrapeServerCalls(url, 'Echo'))).catch((error: unknown) => {
      if (signal.aborted) return undefined;
      throw error;
    });
  const client = connect(EchoServiceDefinition, { endpoints: fleet.addresses, logger: silentLogger });
  const detector = connection(client)?.detector;
  let current: { ejections: number; ejectedBy: string[] } | undefined;
  const unsubscribe = detector?.onEndpointStateChange((change) => {
    if (!current || change.current.type === 'up') return;
    current.ejections++;
    current.ejectedBy.push(`${change.current.type}:${change.current.reason}`);
  });
  const call = () => client.echo({ message: 'burst' });
  const samples: StepSample[] = [];
  try {
    if (!detector) throw new Error('connect() built no detector: ejections cannot be counted');
    for (const concurrency of STEPS) {
      if (signal.aborted) break;
      progress(concurrency);
      const step = (current = { ejections: 0, ejectedBy: [] as string[] });
      // The first step starts with a short warm-up at its own concurrency (connections, JIT,
      // peak-EWMA); its ejections count for that step, its calls do not.
      if (samples.length === 0) await closedLoop(call, { concurrency, durationMs: WARM_MS, signal });
      const before = await scrape();
      if (!before || signal.aborted) break;
      const started = performance.now();
      const calls = await closedLoop(call, { concurrency, durationMs: stepMs, maxCalls: maxCallsPerStep, signal });
      const elapsedMs = performance.now() - started;
      const after = signal.aborted ? undefined : await scrape();
      if (!after) break;
      const ok = calls.filter((c) => c.ok).map((c) => c.latencyMs);
      const attempts = sum(after, (c) => c.started) - sum(before, (c) => c.started);
      const shed = sum(after, shedOf) - sum(before, shedOf);
      samples.push({
        concurrency,
        calls: calls.length,
        failed: calls.length - ok.length,
        codes: calls.filter((c) => !c.ok).map((c) => c.code ?? -1),
        okPerS: (ok.length * 1000) / elapsedMs,
        p50: quantile(ok, 0.5),
        p99: quantile(ok, 0.99),
        attempts,
        shed,
        ejections: step.ejections,
        ejectedBy: step.ejectedBy,
      });
    }
  } finally {
    unsubscribe?.();
    await disconnect(client);
  }
  return samples;
}

const sum = (counts: readonly ServerCallCounts[], of: (c: ServerCallCounts) => number) =>
  counts.reduce((total, c) => total + of(c), 0);
const shedOf = (c: ServerCallCounts) => c.handled.RESOURCE_EXHAUSTED ?? 0;

export const scenario: Scenario = {
  name: 'burst',
  description:
    'closed-loop load stepped 8 → 128 over 2 serve() replicas (default load shedding) through connect() defaults: share shed, detector ejections, goodput and latency per step',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const stepMs = quick ? 1_500 : 4_000;
    // Bounds the load in count too: 4× what the fleet can serve in a step.
    const maxCallsPerStep = Math.ceil((4 * CAPACITY_PER_S * stepMs) / 1000);
    const fleet = await startFleet('burst', REPLICAS, signal, (name) =>
      spawnServeReplica(name, { mode: 'work', workers: WORKERS, workMs: WORK_MS, metrics: true }),
    );
    const byRun: StepSample[][] = [];
    try {
      for (let run = 0; run < runs && !signal.aborted; run++) {
        // Fresh replicas per run: the adaptive limit and any backlog start from scratch.
        if (run > 0) await Promise.all(fleet.replicas.map((_, i) => fleet.replace(i)));
        byRun.push(
          await ramp(fleet, stepMs, maxCallsPerStep, signal, (c) =>
            progress(`run ${run + 1}/${runs}, concurrency ${c}`),
          ),
        );
      }
    } finally {
      await fleet.stop();
    }
    const results: BenchRecord[] = STEPS.map((concurrency) =>
      byRun.map((steps) => steps.find((s) => s.concurrency === concurrency)).filter((s) => s !== undefined),
    )
      .filter((s) => s.length > 0)
      .map((s) => ({
        concurrency: s[0]!.concurrency,
        calls: s.reduce((total, x) => total + x.calls, 0),
        failed_calls: s.reduce((total, x) => total + x.failed, 0),
        ...spread(
          'shed_share',
          s.map((x) => (x.attempts > 0 ? x.shed / x.attempts : 0)),
          4,
        ),
        ejections: s.reduce((total, x) => total + x.ejections, 0),
        ...spread(
          'calls_per_s',
          s.map((x) => x.okPerS),
          0,
        ),
        ...spread(
          'p50_ms',
          s.map((x) => x.p50),
          1,
        ),
        ...spread(
          'p99_ms',
          s.map((x) => x.p99),
          1,
        ),
        attempts: s.reduce((total, x) => total + x.attempts, 0),
        shed_attempts: s.reduce((total, x) => total + x.shed, 0),
        ejected_by: tally(s.flatMap((x) => x.ejectedBy)),
        failed_codes: tally(s.flatMap((x) => x.codes.map(codeName))),
      }));
    return {
      params: {
        replicas: REPLICAS,
        runs,
        stepS: stepMs / 1000,
        warmS: WARM_MS / 1000,
        concurrency: [...STEPS],
        maxCallsPerStep,
        capacity:
          `per replica ${WORKERS} workers × ${WORK_MS} ms awaited, uncancellable work = ${CAPACITY_PER_REPLICA_PER_S}/s; ` +
          `${REPLICAS} replicas = ${CAPACITY_PER_S}/s, saturated from ${REPLICAS * WORKERS} calls in flight (beyond, calls queue in the servers)`,
        capacityPerS: CAPACITY_PER_S,
        server:
          'serve() defaults, each replica its own child process: adaptive load shedding (Vegas limit, floor 20 in flight per replica), ' +
          'hard cap maxConcurrentCalls 1000, RESOURCE_EXHAUSTED with a retry pushback',
        client:
          'one connect() with its defaults per run: peak-ewma, detector (heartbeats, outlier ejection), retry with budget, per-method breaker, 5 s deadline',
        shedShare:
          "RESOURCE_EXHAUSTED ÷ attempts that reached a server, per step, from the servers' /metrics (grpc_server_handled_total ÷ grpc_server_started_total, method Echo)",
        ejections: `detector changes to 'ejected' or 'down' during the step (the first step includes its ${WARM_MS / 1000} s warm-up)`,
        callsPerS: 'calls answered OK per second of the step',
      },
      results,
      anchors: [
        'target (issue 9): 0 ejections at every step — a replica shedding load with RESOURCE_EXHAUSTED is protecting itself, not failing',
        `capacity: ${CAPACITY_PER_S} calls/s over ${REPLICAS} replicas, so concurrency ≤ ${REPLICAS * WORKERS} needs no shedding`,
      ],
    };
  },
};

function codeName(code: number): string {
  return code < 0 ? 'OTHER' : (Status[code] ?? String(code));
}

/** "ejected:failure-percentage×2 down:heartbeat-timeout×1"; '' for none. */
function tally(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, n]) => `${label}×${n}`).join(' ');
}
