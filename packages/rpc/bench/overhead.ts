import { closedLoop, quantile, spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica } from '@ballast/testing';
import { createChannel, createClient, type Client } from 'nice-grpc';
import { connect, disconnect } from '../src/index.js';

type Echo = Client<typeof EchoServiceDefinition>;

/** Closed-loop echo calls from `concurrency` callers for `durationMs`: calls/s, latencies, failures. */
async function drive(client: Echo, concurrency: number, durationMs: number, signal: AbortSignal) {
  const samples = await closedLoop(() => client.echo({ message: 'overhead' }), { concurrency, durationMs, signal });
  const ok = samples.filter((s) => s.ok);
  return {
    callsPerS: (ok.length * 1000) / durationMs,
    latencies: ok.map((s) => s.latencyMs),
    failed: samples.length - ok.length,
  };
}

export const scenario: Scenario = {
  name: 'overhead',
  description: 'plain nice-grpc on one channel vs connect() with the full default stack, same server, same run',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 5;
    const durationMs = quick ? 1_000 : 5_000;
    const levels = [64, 1];
    const server = await spawnEchoReplica('overhead-server');
    const channel = createChannel(server.address);
    const plain: Echo = createClient(EchoServiceDefinition, channel);
    const full: Echo = connect(EchoServiceDefinition, { endpoints: [server.address] });
    const results: BenchRecord[] = [];
    try {
      for (const p of [plain, full]) await drive(p, 8, 300, signal); // warm connections and JIT
      for (const concurrency of levels) {
        const samples = { plain: [] as ReturnType<typeof summary>[], connect: [] as ReturnType<typeof summary>[] };
        for (let run = 0; run < runs && !signal.aborted; run++) {
          // Alternate which goes first so drift on a shared machine hits both alike.
          const order = run % 2 === 0 ? (['plain', 'connect'] as const) : (['connect', 'plain'] as const);
          for (const variant of order) {
            progress(`concurrency ${concurrency}, run ${run + 1}/${runs}, ${variant}`);
            samples[variant].push(
              summary(await drive(variant === 'plain' ? plain : full, concurrency, durationMs, signal)),
            );
          }
        }
        for (const variant of ['plain', 'connect'] as const) {
          const s = samples[variant];
          results.push({
            variant,
            concurrency,
            ...spread(
              'calls_per_s',
              s.map((x) => x.callsPerS),
              0,
            ),
            ...spread(
              'p50_ms',
              s.map((x) => x.p50),
            ),
            ...spread(
              'p99_ms',
              s.map((x) => x.p99),
            ),
            failed_calls: s.reduce((sum, x) => sum + x.failed, 0),
          });
        }
        const ratios = samples.connect.map((c, i) => c.callsPerS / samples.plain[i]!.callsPerS);
        const addedP50Us = samples.connect.map((c, i) => (c.p50 - samples.plain[i]!.p50) * 1000);
        results.push({
          variant: 'connect',
          concurrency,
          ...spread('ratio', ratios),
          ...spread('added_p50_us', addedP50Us, 0),
        });
      }
    } finally {
      await disconnect(full);
      channel.close();
      await server.stop();
    }
    return {
      params: { runs, durationS: durationMs / 1000, concurrency: levels, server: 'child process on loopback' },
      results,
      anchors: [
        'plain nice-grpc on one channel, same server, same run = 1.0; target ≥ 0.90× at concurrency 64, ≤ 50 µs added p50 at concurrency 1',
      ],
    };
  },
};

function summary(run: { callsPerS: number; latencies: number[]; failed: number }) {
  return {
    callsPerS: run.callsPerS,
    p50: quantile(run.latencies, 0.5),
    p99: quantile(run.latencies, 0.99),
    failed: run.failed,
  };
}
