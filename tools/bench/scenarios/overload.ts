import { connect, disconnect } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { Status } from 'nice-grpc-common';
import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { silentLogger } from '../src/fault-run.js';
import { startFleet, type Fleet } from '../src/fleet.js';
import { spawnServeReplica } from '../src/serve-replica.js';
import { openLoop, quantile, spread } from '@ballast/bench-kit';

const WORKERS = 4;
const WORK_MS = 20;
const CAPACITY_PER_S = (WORKERS * 1000) / WORK_MS;
const DEADLINE_MS = 500;
/** Far above what the deadline lets wait (2× capacity × 500 ms): no call goes unsent. */
const MAX_IN_FLIGHT = 10_000;

/**
 * Open loop: calls arrive at twice the replica's capacity for `durationMs` whatever the answers,
 * each with a 500 ms deadline. Goodput = calls answered OK (so within their deadline), per second.
 */
async function overloadRun(fleet: Fleet, breaker: boolean, durationMs: number, signal: AbortSignal) {
  const client = connect(EchoServiceDefinition, {
    endpoints: fleet.addresses,
    logger: silentLogger,
    deadlineMs: DEADLINE_MS,
    ...(breaker ? {} : { circuitBreaker: false as const }),
  });
  try {
    // Warm at half capacity so the limiter and the connection start from a served state.
    const load = { maxInFlight: MAX_IN_FLIGHT, signal };
    await openLoop(() => client.echo({ message: 'warm' }), { ...load, ratePerS: CAPACITY_PER_S / 2, durationMs: 500 });
    const run = await openLoop(() => client.echo({ message: 'x' }), {
      ...load,
      ratePerS: 2 * CAPACITY_PER_S,
      durationMs,
    });
    const outcomes = run.samples.map((o) => ({ code: o.ok ? Status.OK : (o.code ?? -1), latencyMs: o.latencyMs }));
    const ok = outcomes.filter((o) => o.code === Status.OK);
    return {
      offered: outcomes.length + run.unsent,
      goodputPerS: (ok.length * 1000) / durationMs,
      p99: ok.length
        ? quantile(
            ok.map((o) => o.latencyMs),
            0.99,
          )
        : Number.NaN,
      shed: outcomes.filter((o) => o.code === Status.RESOURCE_EXHAUSTED).length,
      timedOut: outcomes.filter((o) => o.code === Status.DEADLINE_EXCEEDED).length,
      codes: outcomes.map((o) => o.code),
    };
  } finally {
    await disconnect(client);
  }
}

export const scenario: Scenario = {
  name: 'overload',
  description: '2× capacity on one serve() replica: goodput and p99 with the server limiter (load shedding) on vs off',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const durationMs = quick ? 2_000 : 5_000;
    const fleets = {
      on: await startFleet('overload-shed', 1, signal, (name) =>
        spawnServeReplica(name, { mode: 'work', workers: WORKERS, workMs: WORK_MS, loadShedding: true }),
      ),
      off: await startFleet('overload-noshed', 1, signal, (name) =>
        spawnServeReplica(name, { mode: 'work', workers: WORKERS, workMs: WORK_MS, loadShedding: false }),
      ),
    };
    type Sample = Awaited<ReturnType<typeof overloadRun>>;
    const variants = [
      { limiter: 'off', breaker: true },
      { limiter: 'on', breaker: true },
      { limiter: 'on', breaker: false },
    ] as const;
    const samples = new Map<(typeof variants)[number], Sample[]>(variants.map((v) => [v, []]));
    const used = new Set<string>();
    try {
      for (let run = 0; run < runs && !signal.aborted; run++) {
        for (const variant of run % 2 === 0 ? variants : [...variants].reverse()) {
          if (signal.aborted) break;
          progress(`limiter ${variant.limiter}, breaker ${variant.breaker ? 'on' : 'off'}, run ${run + 1}/${runs}`);
          // Work is not cancellable: a fresh replica per run so no backlog carries over.
          if (used.has(variant.limiter)) await fleets[variant.limiter].replace(0);
          used.add(variant.limiter);
          samples.get(variant)!.push(await overloadRun(fleets[variant.limiter], variant.breaker, durationMs, signal));
        }
      }
    } finally {
      await Promise.all([fleets.on.stop(), fleets.off.stop()]);
    }
    const results: BenchRecord[] = variants
      .filter((v) => samples.get(v)!.length > 0)
      .map((variant) => {
        const s = samples.get(variant)!;
        return {
          limiter: variant.limiter,
          breaker: variant.breaker ? 'on' : 'off',
          capacity_per_s: CAPACITY_PER_S,
          offered_per_s: 2 * CAPACITY_PER_S,
          ...spread(
            'goodput_per_s',
            s.map((x) => x.goodputPerS),
            0,
          ),
          ...spread(
            'p99_ms',
            s.map((x) => x.p99),
            1,
          ),
          shed_calls: s.reduce((sum, x) => sum + x.shed, 0),
          deadline_exceeded: s.reduce((sum, x) => sum + x.timedOut, 0),
          failed_codes: codeCounts(s.flatMap((x) => x.codes)),
        };
      });
    return {
      params: {
        replicas: 1,
        runs,
        durationS: durationMs / 1000,
        capacity: `${WORKERS} workers × ${WORK_MS} ms = ${CAPACITY_PER_S}/s, uncancellable work`,
        offered: '2× capacity, open loop',
        deadlineMs: DEADLINE_MS,
        server: 'serve() with loadShedding {} (on) or false (off)',
        client:
          'connect() defaults (retry with budget retries RESOURCE_EXHAUSTED after the pushback); breaker = per-method circuit breaker on/off',
      },
      results,
      anchors: [
        'overload: Netflix concurrency-limits keeps goodput near capacity where an unbounded queue times everyone out',
      ],
    };
  },
};

/** "UNAVAILABLE×12 RESOURCE_EXHAUSTED×3": how the calls that were not answered OK ended. */
function codeCounts(codes: readonly number[]): string {
  const counts = new Map<string, number>();
  for (const code of codes) {
    if (code === Status.OK) continue;
    const name = code < 0 ? 'OTHER' : (Status[code] ?? String(code));
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => `${name}×${n}`).join(' ');
}
