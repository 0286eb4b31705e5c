import { spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { connect, disconnect } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { drive } from '../../../packages/rpc/bench/overhead.js';
import { spawnServeReplica } from '../src/serve-replica.js';

const VARIANTS = ['orca-off', 'orca-on'] as const;

/**
 * What serve()'s ORCA load reports cost: the same connect() client against two serve() replicas,
 * one sending an `endpoint-load-metrics-bin` trailer on every call (the default) and one with
 * `loadReports: false`, alternated in the same rounds. The client parses every trailer it gets,
 * so the figure covers both ends.
 */
export const scenario: Scenario = {
  name: 'orca-cost',
  description: "serve()'s ORCA load reports on vs off, the same connect() client to each, same rounds",
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 7;
    const durationMs = quick ? 1_000 : 3_000;
    const replicas = {
      'orca-off': await spawnServeReplica('orca-off', { loadReports: false, loadShedding: false }),
      'orca-on': await spawnServeReplica('orca-on', { loadShedding: false }),
    };
    const clients = {
      'orca-off': connect(EchoServiceDefinition, { endpoints: [replicas['orca-off'].address], tracing: false }),
      'orca-on': connect(EchoServiceDefinition, { endpoints: [replicas['orca-on'].address], tracing: false }),
    };
    const results: BenchRecord[] = [];
    try {
      for (const variant of VARIANTS) await drive(clients[variant], 8, 300, signal);
      for (const concurrency of [64, 1]) {
        const samples = { 'orca-off': [] as number[], 'orca-on': [] as number[] };
        for (let run = 0; run < runs && !signal.aborted; run++) {
          const order = run % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
          for (const variant of order) {
            progress(`concurrency ${concurrency}, run ${run + 1}/${runs}, ${variant}`);
            samples[variant].push((await drive(clients[variant], concurrency, durationMs, signal)).callsPerS);
          }
        }
        for (const variant of VARIANTS) {
          results.push({ variant, concurrency, ...spread('calls_per_s', samples[variant], 0) });
        }
        results.push({
          variant: 'orca-on',
          concurrency,
          ...spread(
            'ratio',
            samples['orca-on'].map((x, i) => x / samples['orca-off'][i]!),
          ),
        });
      }
    } finally {
      await Promise.all(VARIANTS.map((variant) => disconnect(clients[variant])));
      await Promise.all(VARIANTS.map((variant) => replicas[variant].stop()));
    }
    return {
      params: { runs, durationS: durationMs / 1000, server: 'serve() child processes, load shedding off' },
      results,
      anchors: ['ratio = calls/s with ORCA reports ÷ without, same client, same rounds'],
    };
  },
};
