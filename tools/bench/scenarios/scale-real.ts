import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { delay, spawnReplica, type EchoReplica } from '@ballast/testing';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { childAnswer } from '../src/child-answer.js';
import { fleetFigures, idleHealthPerReplica, type ClientResult, type GroupStats } from '../src/fleet-figures.js';
import { simulateScale } from '../src/scale-simulation.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The simulation's step, about: the real run's rate becomes a whole number of calls per step. */
const SIM_TICK_MS = 100;

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
      // 5 calls/s per client, 100 calls/s for the full fleet: the most 28 processes on 2 cores
      // carried (0 failed); at 10/s replicas starved, missed probes and the fleet collapsed (bench
      // README, "scale-real: what the fleet carries"). The quick fleet of 8 × 4 holds 20/s.
      ratePerClientPerS: context.quick ? 20 : 5,
      // The default subset (32) of 40; the quick fleet of 8 takes subsets of 4 so that subsetting shows.
      subsetSize: context.quick ? 4 : 32,
      loadWindowMs: context.quick ? 4_000 : 60_000,
      idleWindowMs: context.quick ? 5_000 : 30_000,
      loadAverageBefore: round(loadavg()[0]!),
      ...overrides(),
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
          // The client's id fixes its rendezvous subset, so the simulation draws the same ones.
          const connect = { subset: { size: params.subsetSize, clientId: id } };
          const config = { id, endpoints, ratePerS: params.ratePerClientPerS, connect };
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
      const ready = await Promise.all(clients.map((c) => childAnswer<number>(c, { connections: true }, 'connections')));
      // Cut short on Ctrl-C: `finally` then stops every process.
      await delay(params.idleWindowMs, context.signal).catch(() => {});
      const idleAfter = await stats();

      context.progress(
        `load window: ${params.clients} × ${params.ratePerClientPerS} calls/s for ${params.loadWindowMs} ms`,
      );
      const loadBefore = await stats();
      const results = await Promise.all(
        clients.map((c) =>
          childAnswer<LoadResult>(c, { run: params.loadWindowMs }, 'result', params.loadWindowMs + 60_000),
        ),
      );
      const loadAfter = await stats();

      const real = fleetFigures(loadBefore, loadAfter, results, params.loadWindowMs);
      const reasons: Record<string, number> = {};
      for (const r of results) for (const [k, n] of Object.entries(r.downReasons)) reasons[k] = (reasons[k] ?? 0) + n;
      context.progress(`down verdicts in the load window by reason: ${JSON.stringify(reasons)}`);
      context.progress('the simulation at the same size');
      const latencySigma = round(results.reduce((sum, r) => sum + r.latencyLogSigma, 0) / results.length);
      const simCalls = Math.max(1, Math.round((params.ratePerClientPerS * SIM_TICK_MS) / 1000));
      const simTickMs = (1000 * simCalls) / params.ratePerClientPerS;
      const sim = simulateScale({
        clients: params.clients,
        replicas,
        zones: 1,
        subsetSize: params.subsetSize,
        tickMs: simTickMs,
        callsPerTick: simCalls,
        measureTicks: Math.round(params.loadWindowMs / simTickMs),
        replicaIds: endpoints.map((e) => e.id),
        // As loaded as the real replicas were: latency grows with load only near capacity, so a
        // lightly loaded fleet gives peak-EWMA little to even out (bounded away from 0 and 1).
        utilisation: Math.min(0.9, Math.max(0.02, real.replica_cpu_share)),
        // And as noisy: the spread of real latencies that does not follow load, which peak-EWMA
        // reacts to as it does to load.
        latencySigma,
        clientIds: clients.map((c) => c.replica),
      });
      const connectionsRatio = ratio(real.connections_per_client, sim.connections_per_client);
      const loadRatio = ratio(real.max_mean_load, sim.max_mean_load);
      const record: BenchRecord = {
        clients: params.clients,
        replicas,
        zones: 1,
        ...real,
        health_msgs_per_replica_per_s_idle: idleHealthPerReplica(
          idleBefore,
          idleAfter,
          params.idleWindowMs,
          ready.reduce((sum, n) => sum + n, 0),
        ),
        unsent_calls: results.reduce((sum, r) => sum + r.unsent, 0),
        latency_log_sigma: latencySigma,
        down_verdicts_per_client: round(results.reduce((sum, r) => sum + r.events.down, 0) / results.length),
        members_replaced_per_client: round(results.reduce((sum, r) => sum + r.events.joined, 0) / results.length),
        sim_connections_per_client: sim.connections_per_client,
        sim_max_mean_load: sim.max_mean_load,
        sim_health_msgs_per_replica_per_s: sim.health_msgs_per_replica_per_s,
        connections_ratio: connectionsRatio,
        max_mean_load_ratio: loadRatio,
        // The check: the real fleet confirms the simulation's spread and connections within 10 %.
        within_10_percent: Math.abs(connectionsRatio - 1) <= 0.1 && Math.abs(loadRatio - 1) <= 0.1,
      };
      return {
        params: { ...params, loadAverageAfter: round(loadavg()[0]!) },
        results: [record],
        anchors: [
          'targets (issue): connections per client ≤ the subset size (≤ 32); max ÷ mean load ≤ 1.10; health traffic ≤ 50 messages/s per replica at 1 000 clients',
          'compare with `npm run bench -- scale` at the same fleet size: load spread and connections within 10 %',
          'health messages, each way as `scale` counts them: 2 per Check (measured at the replicas), 1 per Watch message (measured), 2 per keepalive ping (every 30 s per connection, added); a busy connection proves liveness by its answers and sends no Check',
        ],
      };
    } finally {
      context.signal.removeEventListener('abort', onAbort);
      await stopAll();
    }
  },
};

/** What a client process reports after its load window (see fixtures/scale-client.ts). */
interface LoadResult extends ClientResult {
  readonly unsent: number;
  /** σ of the log-latencies of its answered calls. */
  readonly latencyLogSigma: number;
  readonly events: { down: number; up: number; joined: number; left: number };
  readonly downReasons: Record<string, number>;
}

const PARAM_NAMES = [
  'replicaGroups',
  'replicasPerGroup',
  'clients',
  'ratePerClientPerS',
  'subsetSize',
  'loadWindowMs',
  'idleWindowMs',
] as const;

/**
 * `BENCH_SCALE_REAL` (a JSON object) overrides the fleet's parameters, to try other sizes and
 * rates: e.g. `{"replicaGroups": 4, "clients": 10, "subsetSize": 16}`.
 */
function overrides(): Partial<Record<(typeof PARAM_NAMES)[number], number>> {
  const text = process.env.BENCH_SCALE_REAL;
  if (!text) return {};
  const fail = (why: string): never => {
    throw new Error(
      `BENCH_SCALE_REAL: ${why}; expected a JSON object of positive integers among ${PARAM_NAMES.join(', ')}`,
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(`not JSON: ${text}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('not an object');
  for (const [key, value] of Object.entries(parsed)) {
    if (!(PARAM_NAMES as readonly string[]).includes(key)) fail(`unknown parameter "${key}"`);
    if (!Number.isInteger(value) || (value as number) < 1) fail(`"${key}" is ${JSON.stringify(value)}`);
  }
  return parsed as Record<string, number>;
}

function ratio(real: number, simulated: number): number {
  return simulated > 0 ? Math.round((real / simulated) * 1000) / 1000 : 0;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
