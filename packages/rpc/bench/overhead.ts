import { closedLoop, quantile, spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica } from '@ballast/testing';
import { createChannel, createClient, createClientFactory, type Client } from 'nice-grpc';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { connect, disconnect } from '../src/index.js';

export type Echo = Client<typeof EchoServiceDefinition>;
const VARIANTS = ['plain', 'libraries', 'connect'] as const;
type Variant = (typeof VARIANTS)[number];

/**
 * Closed-loop echo calls from `concurrency` callers for `durationMs`: calls/s, latencies,
 * failures, and this process's CPU time per call (all threads, so GC work is counted).
 */
export async function drive(client: Echo, concurrency: number, durationMs: number, signal: AbortSignal) {
  const cpuBefore = process.cpuUsage();
  const samples = await closedLoop(() => client.echo({ message: 'overhead' }), { concurrency, durationMs, signal });
  const cpu = process.cpuUsage(cpuBefore);
  const ok = samples.filter((s) => s.ok);
  return {
    callsPerS: (ok.length * 1000) / durationMs,
    latencies: ok.map((s) => s.latencyMs),
    failed: samples.length - ok.length,
    cpuUsPerCall: (cpu.user + cpu.system) / Math.max(1, samples.length),
  };
}

export const scenario: Scenario = {
  name: 'overhead',
  description:
    'plain nice-grpc on one channel vs the same with only the deadline and retry libraries vs connect() with the full default stack; same server, same run',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 7;
    const durationMs = quick ? 1_000 : 3_000;
    const levels = [64, 1];
    const server = await spawnEchoReplica('overhead-server');
    const channel = createChannel(server.address);
    // What the middleware libraries connect() builds on cost by themselves, on the plain channel:
    // the floor under any stack that uses them.
    const libraries: Echo = createClientFactory()
      .use(retryMiddleware)
      .use(deadlineMiddleware)
      .create(EchoServiceDefinition, channel, { '*': { deadline: 5_000 } });
    const clients: Record<Variant, Echo> = {
      plain: createClient(EchoServiceDefinition, channel),
      libraries,
      connect: connect(EchoServiceDefinition, { endpoints: [server.address] }),
    };
    const results: BenchRecord[] = [];
    try {
      for (const variant of VARIANTS) await drive(clients[variant], 8, 300, signal); // warm connections and JIT
      for (const concurrency of levels) {
        const samples: Record<Variant, ReturnType<typeof summary>[]> = { plain: [], libraries: [], connect: [] };
        for (let run = 0; run < runs && !signal.aborted; run++) {
          // Rotate which goes first so drift on a shared machine hits all alike.
          const order = VARIANTS.map((_, i) => VARIANTS[(i + run) % VARIANTS.length]!);
          for (const variant of order) {
            progress(`concurrency ${concurrency}, run ${run + 1}/${runs}, ${variant}`);
            samples[variant].push(summary(await drive(clients[variant], concurrency, durationMs, signal)));
          }
        }
        for (const variant of VARIANTS) {
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
            ...spread(
              'client_cpu_us_per_call',
              s.map((x) => x.cpuUsPerCall),
              1,
            ),
            failed_calls: s.reduce((sum, x) => sum + x.failed, 0),
          });
        }
        // Ratios and differences pair each run with the plain run beside it.
        const plain = samples.plain;
        for (const variant of ['libraries', 'connect'] as const) {
          const s = samples[variant];
          results.push({
            variant,
            concurrency,
            ...spread(
              'ratio',
              s.map((x, i) => x.callsPerS / plain[i]!.callsPerS),
            ),
            ...spread(
              'added_p50_us',
              s.map((x, i) => (x.p50 - plain[i]!.p50) * 1000),
              0,
            ),
            ...spread(
              'added_cpu_us_per_call',
              s.map((x, i) => x.cpuUsPerCall - plain[i]!.cpuUsPerCall),
              1,
            ),
          });
        }
      }
    } finally {
      await disconnect(clients.connect);
      channel.close();
      await server.stop();
    }
    return {
      params: { runs, durationS: durationMs / 1000, concurrency: levels, server: 'child process on loopback' },
      results,
      anchors: [
        'plain nice-grpc on one channel, same server, same run = 1.0; target ≥ 0.90× at concurrency 64, ≤ 50 µs added p50 at concurrency 1',
        'libraries = plain + nice-grpc-client-middleware-deadline + nice-grpc-client-middleware-retry, the floor under connect()',
      ],
    };
  },
};

function summary(run: { callsPerS: number; latencies: number[]; failed: number; cpuUsPerCall: number }) {
  return {
    callsPerS: run.callsPerS,
    p50: quantile(run.latencies, 0.5),
    p99: quantile(run.latencies, 0.99),
    failed: run.failed,
    cpuUsPerCall: run.cpuUsPerCall,
  };
}
