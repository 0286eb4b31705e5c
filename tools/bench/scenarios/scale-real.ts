import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { spawnReplica, type EchoReplica } from '@ballast/testing';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { childAnswer } from '../src/child-answer.js';
import { fleetFigures, idleHealthPerReplica, type ClientResult, type GroupStats } from '../src/fleet-figures.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** connect() options every client process adds to its defaults. */
const CLIENT_OPTIONS: Record<string, unknown> = {};

export const scenario: Scenario = {
  name: 'scale-real',
  description:
    'the largest fleet this machine holds as real processes on loopback: serve() replicas × connect() client processes; connections per client, max ÷ mean load, health messages per replica per second (under load and idle)',
  async run(context) {
    const params = {
      // 5 serve() replicas per process: 40 processes of their own would not fit beside 20 clients on 2 cores.
      replicaGroups: context.quick ? 2 : 8,
      replicasPerGroup: context.quick ? 4 : 5,
      clients: context.quick ? 4 : 20,
      ratePerClientPerS: 40,
      loadWindowMs: context.quick ? 4_000 : 60_000,
      idleWindowMs: context.quick ? 5_000 : 30_000,
      clientOptions: CLIENT_OPTIONS,
      loadAverageBefore: round(loadavg()[0]!),
    };
    const replicas = params.replicaGroups * params.replicasPerGroup;
    const started = new Set<EchoReplica>();
    const stopAll = () => Promise.all([...started].map((child) => child.stop()));
    const onAbort = () => void stopAll();
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      context.progress(`starting ${replicas} replicas in ${params.replicaGroups} processes`);
      const groups = await Promise.all(
        Array.from({ length: params.replicaGroups }, async (_, g) => {
          const child = await spawnReplica(fixture('scale-replicas.ts'), [`r${g}`, String(params.replicasPerGroup)], {
            replica: `group-${g}`,
            startTimeoutMs: 60_000,
          });
          started.add(child);
          return child;
        }),
      );
      const endpoints = (
        await Promise.all(
          groups.map((g) => childAnswer<{ id: string; address: string }[]>(g, { list: true }, 'replicas')),
        )
      ).flat();

      // Clients start a few at a time: twenty TypeScript processes compiling at once starve the replicas' health checks.
      context.progress(`starting ${params.clients} client processes`);
      const clients: EchoReplica[] = [];
      for (let c = 0; c < params.clients; c += 4) {
        const batch = Array.from({ length: Math.min(4, params.clients - c) }, async (_, k) => {
          const id = `client-${c + k}`;
          const config = { id, endpoints, ratePerS: params.ratePerClientPerS, connect: CLIENT_OPTIONS };
          const child = await spawnReplica(fixture('scale-client.ts'), [JSON.stringify(config)], {
            replica: id,
            startTimeoutMs: 90_000,
          });
          started.add(child);
          return child;
        });
        clients.push(...(await Promise.all(batch)));
      }
      const stats = () => Promise.all(groups.map((g) => childAnswer<GroupStats>(g, { stats: true }, 'stats')));

      context.progress(`idle window of ${params.idleWindowMs} ms`);
      const idleBefore = await stats();
      await abortableDelay(params.idleWindowMs, context.signal);
      const idleAfter = await stats();

      context.progress(
        `load window: ${params.clients} × ${params.ratePerClientPerS} calls/s for ${params.loadWindowMs} ms`,
      );
      const loadBefore = await stats();
      const results = await Promise.all(
        clients.map((c) =>
          childAnswer<ClientResult>(c, { run: params.loadWindowMs }, 'result', params.loadWindowMs + 60_000),
        ),
      );
      const loadAfter = await stats();

      const record: BenchRecord = {
        clients: params.clients,
        replicas,
        zones: 1,
        ...fleetFigures(loadBefore, loadAfter, results, params.loadWindowMs),
        health_msgs_per_replica_per_s_idle: idleHealthPerReplica(idleBefore, idleAfter, params.idleWindowMs),
        endpoints_per_client: round(results.reduce((sum, r) => sum + r.entries, 0) / results.length),
      };
      return {
        params: { ...params, loadAverageAfter: round(loadavg()[0]!) },
        results: [record],
        anchors: [
          'targets (issue): connections per client ≤ the subset size (≤ 32); max ÷ mean load ≤ 1.10; health traffic ≤ 50 messages/s per replica at 1 000 clients',
          'compare with `npm run bench -- scale` at the same fleet size: load spread and connections within 10 %',
          'health messages = Checks answered + Watch messages sent (a busy connection proves liveness by its answers and sends no Check)',
        ],
      };
    } finally {
      context.signal.removeEventListener('abort', onAbort);
      await stopAll();
    }
  },
};

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
