import { connect, connection, disconnect } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { silentLogger } from '../src/fault-run.js';
import { startFleet, type Fleet } from '../src/fleet.js';
import { closedLoop } from '@ballast/bench-kit';
import { spread } from '@ballast/bench-kit';

interface Variant {
  budget: boolean;
  breaker: boolean;
}

/** Calls made vs attempts the balancer sent (its pick counters), all replicas answering UNAVAILABLE. */
async function outageRun(fleet: Fleet, variant: Variant, calls: number, signal: AbortSignal) {
  const client = connect(EchoServiceDefinition, {
    endpoints: fleet.addresses,
    logger: silentLogger,
    retry: variant.budget ? {} : { budget: false },
    ...(variant.breaker ? {} : { circuitBreaker: false }),
  });
  const channel = connection(client)!.channels[0]!;
  const picks = () => channel.stats().reduce((sum, s) => sum + s.picks, 0);
  try {
    const before = picks();
    const samples = await closedLoop(() => client.echo({ message: 'outage' }), {
      concurrency: 16,
      durationMs: 20_000,
      maxCalls: calls,
      signal,
    });
    const attempts = picks() - before;
    return { calls: samples.length, attempts, ok: samples.filter((s) => s.ok).length };
  } finally {
    await disconnect(client);
  }
}

export const scenario: Scenario = {
  name: 'outage',
  description: 'every replica answers UNAVAILABLE: attempts ÷ calls (amplification), retry budget on vs off',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const calls = quick ? 300 : 1_000;
    const variants: Variant[] = [
      { budget: true, breaker: true },
      { budget: false, breaker: true },
      { budget: true, breaker: false },
      { budget: false, breaker: false },
    ];
    const fleet = await startFleet('outage', 3, signal);
    const samples = new Map<Variant, { calls: number; attempts: number; ok: number }[]>(variants.map((v) => [v, []]));
    try {
      await Promise.all(fleet.replicas.map((r) => r.send({ failRate: 1 })));
      for (let run = 0; run < runs && !signal.aborted; run++) {
        const order = run % 2 === 0 ? variants : [...variants].reverse();
        for (const variant of order) {
          if (signal.aborted) break;
          progress(
            `budget ${variant.budget ? 'on' : 'off'}, breaker ${variant.breaker ? 'on' : 'off'}, run ${run + 1}/${runs}`,
          );
          samples.get(variant)!.push(await outageRun(fleet, variant, calls, signal));
        }
      }
    } finally {
      await fleet.stop();
    }
    const results: BenchRecord[] = variants
      .filter((v) => samples.get(v)!.length > 0)
      .map((v) => {
        const s = samples.get(v)!;
        return {
          budget: v.budget ? 'on' : 'off',
          breaker: v.breaker ? 'on' : 'off',
          calls: s.reduce((sum, x) => sum + x.calls, 0),
          attempts: s.reduce((sum, x) => sum + x.attempts, 0),
          ok_calls: s.reduce((sum, x) => sum + x.ok, 0),
          ...spread(
            'amplification',
            s.map((x) => x.attempts / x.calls),
          ),
        };
      });
    return {
      params: {
        replicas: 3,
        runs,
        callsPerRun: calls,
        concurrency: 16,
        failure: 'failRate 1, UNAVAILABLE, on every replica',
        attempts: 'balancer picks (attempts on the wire) per call made',
        client: 'connect() defaults: retry with budget; breaker = per-method circuit breaker',
      },
      results,
      anchors: [
        'amplification (outage): Finagle budget ≤ 1.2× + 10/s; gRPC retry throttling ≈ 1.0×',
        'target (issue 9): ≤ 1.1× with the default stack (budget on, breaker on)',
      ],
    };
  },
};
