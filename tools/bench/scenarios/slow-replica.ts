import { connect, connection, disconnect, type ConnectOptions } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { silentLogger } from '../src/fault-run.js';
import { startFleet, type Fleet } from '../src/fleet.js';
import { closedLoop } from '@ballast/bench-kit';
import { quantile, spread } from '@ballast/bench-kit';

const VARIANTS = ['healthy', 'round-robin', 'least-request', 'peak-ewma', 'peak-ewma+hedging'] as const;
type Variant = (typeof VARIANTS)[number];

function options(variant: Variant): Omit<ConnectOptions, 'endpoints'> {
  switch (variant) {
    case 'healthy':
    case 'peak-ewma':
      return { balancer: 'peak-ewma' };
    case 'peak-ewma+hedging':
      return { balancer: 'peak-ewma', hedging: { delayMs: 'adaptive' } };
    default:
      return { balancer: variant };
  }
}

async function measure(fleet: Fleet, variant: Variant, concurrency: number, durationMs: number, signal: AbortSignal) {
  const client = connect(EchoServiceDefinition, {
    endpoints: fleet.addresses,
    logger: silentLogger,
    ...options(variant),
  });
  try {
    const call = () => client.echo({ message: 'slow' });
    const channel = connection(client)!.channels[0]!;
    const slow = fleet.replicas[2]!.address;
    const picks = () => {
      const stats = channel.stats();
      return [stats.find((s) => s.address === slow)?.picks ?? 0, stats.reduce((sum, s) => sum + s.picks, 0)] as const;
    };
    await closedLoop(call, { concurrency, durationMs: 500, signal });
    const [slowBefore, allBefore] = picks();
    const samples = await closedLoop(call, { concurrency, durationMs, signal });
    const [slowAfter, allAfter] = picks();
    const latencies = samples.filter((s) => s.ok).map((s) => s.latencyMs);
    return {
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      callsPerS: (samples.length * 1000) / durationMs,
      failed: samples.filter((s) => !s.ok).length,
      // Share of attempts the balancer sent to replica 2 (the slow one, when it is slow).
      slowShare: (slowAfter - slowBefore) / Math.max(1, allAfter - allBefore),
    };
  } finally {
    await disconnect(client);
  }
}

export const scenario: Scenario = {
  name: 'slow-replica',
  description: 'one replica of 3 answers 50 ms late: p50/p99 per balancing policy vs the all-healthy p99',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const params = { replicas: 3, slowMs: 50, runs, concurrency: 16, durationS: quick ? 1.5 : 4, warmS: 0.5 };
    const fleet = await startFleet('slow', 3, signal);
    const samples = new Map<Variant, Awaited<ReturnType<typeof measure>>[]>(VARIANTS.map((v) => [v, []]));
    try {
      // One throwaway round: the first client of a process pays for JIT and connection set-up.
      await measure(fleet, 'healthy', params.concurrency, 500, signal);
      for (let run = 0; run < runs && !signal.aborted; run++) {
        // The healthy baseline first, then the policies in an order that alternates per run.
        await fleet.replicas[2]!.send({ delayMs: 0 });
        progress(`healthy, run ${run + 1}/${runs}`);
        samples
          .get('healthy')!
          .push(await measure(fleet, 'healthy', params.concurrency, params.durationS * 1000, signal));
        await fleet.replicas[2]!.send({ delayMs: params.slowMs });
        const policies = VARIANTS.slice(1);
        for (const variant of run % 2 === 0 ? policies : [...policies].reverse()) {
          if (signal.aborted) break;
          progress(`${variant}, run ${run + 1}/${runs}`);
          samples
            .get(variant)!
            .push(await measure(fleet, variant, params.concurrency, params.durationS * 1000, signal));
        }
      }
    } finally {
      await fleet.stop();
    }
    const healthy = samples.get('healthy')!;
    const results: BenchRecord[] = VARIANTS.filter((v) => samples.get(v)!.length > 0).map((variant) => {
      const s = samples.get(variant)!;
      return {
        policy: variant,
        slow_replica: variant !== 'healthy',
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
        // p99 ÷ the all-healthy p99 of the same run.
        ...spread(
          'ratio',
          s.map((x, i) => x.p99 / healthy[i]!.p99),
          2,
        ),
        ...spread(
          'calls_per_s',
          s.map((x) => x.callsPerS),
          0,
        ),
        ...spread(
          'slow_share',
          s.map((x) => x.slowShare),
          4,
        ),
        failed_calls: s.reduce((sum, x) => sum + x.failed, 0),
      };
    });
    return {
      params,
      results,
      anchors: [
        'slow-replica p99: Linkerd "Beyond Round Robin": round robin degrades above p95, peak-EWMA only above p99.9',
        'target (issue 9): peak-ewma p99 ≤ 1.3× the all-healthy p99 (ratio column)',
      ],
    };
  },
};
