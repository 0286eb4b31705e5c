import { closedLoop, quantile, spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica } from '@ballast/testing';
import { createChannel, createClient, createClientFactory, type Client } from 'nice-grpc';
import type { EchoReplica } from '@ballast/testing';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { createRequire } from 'node:module';
import { connect, disconnect } from '../src/index.js';

export type Echo = Client<typeof EchoServiceDefinition>;
const VARIANTS = ['plain', 'libraries', 'connect', 'connect-hedged', 'connect-traced', 'grpcjs', 'connect-3'] as const;
/** Variants over all 3 replicas: grpc-js's balancing and connect() side by side. */
const OVER_THREE: ReadonlySet<string> = new Set(['grpcjs', 'connect-3']);
type Variant = (typeof VARIANTS)[number];

/**
 * Closed-loop echo calls from `concurrency` callers for `durationMs`: calls/s, latencies,
 * failures, and this process's CPU time per call (all threads, so GC work is counted).
 */
export function drive(client: Echo, concurrency: number, durationMs: number, signal: AbortSignal) {
  return driveCalls(() => client.echo({ message: 'overhead' }), concurrency, durationMs, signal);
}

/** The same for any call: `call` starts one and settles when it is over (a stream fully read). */
export async function driveCalls(
  call: () => Promise<unknown>,
  concurrency: number,
  durationMs: number,
  signal: AbortSignal,
) {
  const cpuBefore = process.cpuUsage();
  const samples = await closedLoop(call, { concurrency, durationMs, signal });
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
    "plain nice-grpc on one channel vs the same with only the deadline and retry libraries vs connect() with the full default stack on the same server, hedging off and on, tracing off and on (an OpenTelemetry SDK recording every span, exporting to nowhere); and grpc-js's own service config (round_robin + retryPolicy) vs connect() over the same 3 replicas; same run",
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 7;
    const durationMs = quick ? 1_000 : 3_000;
    const levels = [64, 1];
    const replicas: EchoReplica[] = [];
    for (const name of ['overhead-1', 'overhead-2', 'overhead-3']) replicas.push(await spawnEchoReplica(name));
    const server = replicas[0]!;
    const channel = createChannel(server.address);
    // What a team gets from grpc-js alone: its round_robin over the same replicas and its own
    // retries (gRFC A6), configured through the service config; a deadline per call as connect() sets.
    const grpcjsChannel = createChannel(`ipv4:${replicas.map((r) => r.address).join(',')}`, undefined, {
      'grpc.service_config': JSON.stringify({
        loadBalancingConfig: [{ round_robin: {} }],
        methodConfig: [
          {
            name: [{ service: 'ballast.testing.v1.EchoService' }],
            retryPolicy: {
              maxAttempts: 3,
              initialBackoff: '0.05s',
              maxBackoff: '2s',
              backoffMultiplier: 2,
              retryableStatusCodes: ['UNAVAILABLE'],
            },
          },
        ],
        retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
      }),
    });
    const grpcjs: Echo = createClientFactory()
      .use(deadlineMiddleware)
      .create(EchoServiceDefinition, grpcjsChannel, { '*': { deadline: 5_000 } });
    // What the middleware libraries connect() builds on cost by themselves, on the plain channel:
    // the floor under any stack that uses them.
    const libraries: Echo = createClientFactory()
      .use(retryMiddleware)
      .use(deadlineMiddleware)
      .create(EchoServiceDefinition, channel, { '*': { deadline: 5_000 } });
    const stopTracing = registerTracing();
    // Against plain nice-grpc, connect() talks to the same single server; against grpc-js's own
    // balancing, both spread over the same 3.
    const clients: Record<Variant, Echo> = {
      plain: createClient(EchoServiceDefinition, channel),
      libraries,
      connect: connect(EchoServiceDefinition, { endpoints: [server.address], tracing: false }),
      // Adaptive hedging on a healthy server sends almost no backup: what it costs is its own work per call.
      'connect-hedged': connect(EchoServiceDefinition, {
        endpoints: [server.address],
        tracing: false,
        hedging: { delayMs: 'adaptive' },
      }),
      'connect-traced': connect(EchoServiceDefinition, { endpoints: [server.address] }),
      grpcjs,
      'connect-3': connect(EchoServiceDefinition, { endpoints: replicas.map((r) => r.address), tracing: false }),
    };
    const results: BenchRecord[] = [];
    try {
      for (const variant of VARIANTS) await drive(clients[variant], 8, 300, signal); // warm connections and JIT
      for (const concurrency of levels) {
        const samples: Record<Variant, ReturnType<typeof summary>[]> = {
          plain: [],
          libraries: [],
          connect: [],
          'connect-hedged': [],
          'connect-traced': [],
          grpcjs: [],
          'connect-3': [],
        };
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
            variant: variant === 'connect-3' ? 'connect' : variant,
            concurrency,
            ...(OVER_THREE.has(variant) && { replicas: 3 }),
            ...runFigures(s),
          });
        }
        // Ratios and differences pair each run with the plain run beside it.
        const plain = samples.plain;
        for (const variant of ['libraries', 'connect', 'connect-hedged', 'connect-traced'] as const) {
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
        // Hedging's own cost: connect() with it on beside the same connect() with it off.
        results.push({
          variant: 'connect-hedged',
          versus: 'connect',
          concurrency,
          ...spread(
            'ratio',
            samples['connect-hedged'].map((x, i) => x.callsPerS / samples.connect[i]!.callsPerS),
          ),
          ...spread(
            'added_cpu_us_per_call',
            samples['connect-hedged'].map((x, i) => x.cpuUsPerCall - samples.connect[i]!.cpuUsPerCall),
            1,
          ),
        });
        // connect() beside grpc-js's own balancing and retries over the same replicas.
        results.push({
          variant: 'connect',
          versus: 'grpcjs',
          replicas: 3,
          concurrency,
          ...spread(
            'ratio',
            samples['connect-3'].map((x, i) => x.callsPerS / samples.grpcjs[i]!.callsPerS),
          ),
          ...spread(
            'added_p50_us',
            samples['connect-3'].map((x, i) => (x.p50 - samples.grpcjs[i]!.p50) * 1000),
            0,
          ),
          ...spread(
            'added_cpu_us_per_call',
            samples['connect-3'].map((x, i) => x.cpuUsPerCall - samples.grpcjs[i]!.cpuUsPerCall),
            1,
          ),
        });
      }
    } finally {
      await disconnect(clients.connect);
      await disconnect(clients['connect-hedged']);
      await disconnect(clients['connect-traced']);
      await disconnect(clients['connect-3']);
      await stopTracing();
      channel.close();
      grpcjsChannel.close();
      await Promise.all(replicas.map((r) => r.stop()));
    }
    return {
      params: {
        runs,
        durationS: durationMs / 1000,
        concurrency: levels,
        servers:
          '3 echo replicas, child processes on loopback; plain, libraries, connect and connect-traced use the first; grpcjs and connect (replicas: 3) use all 3',
      },
      results,
      anchors: [
        'plain nice-grpc on one channel, same run = 1.0; targets: ≥ 0.90× at concurrency 64, ≤ 10 µs added client CPU per call, ≤ 25 µs added p50 at concurrency 1',
        "grpcjs = grpc-js's round_robin + retryPolicy service config over the same 3 replicas; target: connect() ≥ 1.0× its calls/s",
        'libraries = plain + nice-grpc-client-middleware-deadline + nice-grpc-client-middleware-retry, the floor under connect()',
        'connect-hedged = connect with adaptive hedging (versus connect, same run: what hedging costs when almost no backup is due)',
        'connect = tracing: false; connect-traced = tracing on, a call span and an attempt span per call recorded (client side only: the replicas run no SDK)',
      ],
    };
  },
};

/** One variant's runs as the report's figures: medians with their spread, failures summed. */
export function runFigures(
  s: readonly { callsPerS: number; p50: number; p99: number; cpuUsPerCall: number; failed: number }[],
) {
  return {
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
  };
}

export function summary(run: { callsPerS: number; latencies: number[]; failed: number; cpuUsPerCall: number }) {
  return {
    callsPerS: run.callsPerS,
    p50: quantile(run.latencies, 0.5),
    p99: quantile(run.latencies, 0.99),
    failed: run.failed,
    cpuUsPerCall: run.cpuUsPerCall,
  };
}

/**
 * Registers an OpenTelemetry SDK that records every span and exports none, through the CommonJS
 * build of the API: the one nice-grpc-opentelemetry took its tracer from when it loaded (an SDK
 * registered through the ES module build after that would leave its tracer a no-op).
 */
function registerTracing(): () => Promise<void> {
  const require = createRequire(import.meta.url);
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } =
    require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { BatchSpanProcessor, TracerProvider } =
    require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const provider = new TracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined },
      }),
    ],
  });
  api.trace.setGlobalTracerProvider(provider);
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return async () => {
    await provider.shutdown();
    api.trace.disable();
    api.context.disable();
    api.propagation.disable();
  };
}
