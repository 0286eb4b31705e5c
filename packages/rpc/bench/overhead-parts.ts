import { median, quantile, spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { createBalancedChannel } from '@ballast/balancer';
import { createLogger } from '@ballast/core';
import { createDeadlineMiddleware } from '@ballast/recovery';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica } from '@ballast/testing';
import { createChannel, createClient, createClientFactory } from 'nice-grpc';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { connect, disconnect, type ConnectOptions } from '../src/index.js';
import { drive, type Echo } from './overhead.js';

/**
 * Where connect()'s per-call cost goes: each default part switched on alone over a connect() with
 * every optional part off, all beside a plain nice-grpc client in the same run.
 */
export const scenario: Scenario = {
  name: 'overhead-parts',
  description: 'connect() with one default part at a time: added client CPU per call and p50 over plain nice-grpc',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 9;
    const durationMs = quick ? 300 : 2_000;
    const levels = [64, 1];
    const server = await spawnEchoReplica('overhead-parts-server');
    const channel = createChannel(server.address);
    const logger = createLogger('overhead-parts');
    logger.level = 'warn'; // the parts' lifecycle logs would drown the progress line
    const defaults: ConnectOptions = { endpoints: [server.address], logger };
    const off: ConnectOptions = {
      ...defaults,
      metrics: false,
      retry: false,
      circuitBreaker: false,
      healthCheck: false,
      outlierDetection: false,
    };
    const balanced = createBalancedChannel({
      service: 'overhead-parts',
      source: [server.address],
      policy: 'peak-ewma',
      logger,
    });
    const clients: Record<string, Echo> = {
      plain: createClient(EchoServiceDefinition, channel),
      'deadline library alone (plain channel)': createClientFactory()
        .use(deadlineMiddleware)
        .create(EchoServiceDefinition, channel, { '*': { deadline: 5_000 } }),
      'deadline library + propagation header (plain channel)': createClientFactory()
        .use(createDeadlineMiddleware())
        .create(EchoServiceDefinition, channel, { '*': { deadline: 5_000 } }),
      'balanced channel alone (no middleware)': createClient(EchoServiceDefinition, balanced),
      'channel + deadline (every part below off)': connect(EchoServiceDefinition, off),
      '+ metrics': connect(EchoServiceDefinition, { ...off, metrics: true }),
      '+ retry': connect(EchoServiceDefinition, { ...off, retry: undefined }),
      '+ circuit breaker': connect(EchoServiceDefinition, { ...off, circuitBreaker: undefined }),
      '+ detector': connect(EchoServiceDefinition, { ...off, healthCheck: undefined, outlierDetection: undefined }),
      'all defaults': connect(EchoServiceDefinition, defaults),
    };
    const names = Object.keys(clients);
    const results: BenchRecord[] = [];
    try {
      for (const name of names) await drive(clients[name]!, 8, 200, signal);
      for (const concurrency of levels) {
        const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
        const p50 = new Map<string, number[]>(names.map((n) => [n, []]));
        for (let run = 0; run < runs && !signal.aborted; run++) {
          for (const name of names.map((_, i) => names[(i + run) % names.length]!)) {
            progress(`concurrency ${concurrency}, run ${run + 1}/${runs}, ${name}`);
            const r = await drive(clients[name]!, concurrency, durationMs, signal);
            cpu.get(name)!.push(r.cpuUsPerCall);
            p50.get(name)!.push(quantile(r.latencies, 0.5));
          }
        }
        for (const name of names.slice(1)) {
          // Each run paired with the plain run of the same round.
          const dCpu = cpu.get(name)!.map((x, i) => x - cpu.get('plain')![i]!);
          const dP50 = p50.get(name)!.map((x, i) => (x - p50.get('plain')![i]!) * 1000);
          results.push({
            part: name,
            concurrency,
            ...spread('added_cpu_us_per_call', dCpu, 1),
            ...spread('added_p50_us', dP50, 0),
          });
        }
        progress(`concurrency ${concurrency}: plain ${median(cpu.get('plain')!).toFixed(1)} µs CPU per call`);
      }
    } finally {
      // disconnect() ignores the clients connect() did not make.
      for (const client of Object.values(clients)) await disconnect(client);
      channel.close();
      balanced.close();
      await server.stop();
    }
    return {
      params: { runs, durationS: durationMs / 1000, concurrency: levels, server: 'child process on loopback' },
      results,
      anchors: [
        'added = this client minus plain nice-grpc on one channel, same round; parts overlap, so they do not sum exactly',
      ],
    };
  },
};
