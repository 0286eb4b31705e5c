/** What one replica group (a scale-replicas process) has counted since it started. */
export interface GroupStats {
  /** Echo calls per replica id. */
  readonly calls: Readonly<Record<string, number>>;
  /** grpc.health.v1 Check calls the group's replicas answered. */
  readonly checks: number;
  /** Watch messages the group's replicas sent. */
  readonly watchMessages: number;
  /** CPU time the group's process used (user + system). */
  readonly cpuMs: number;
}

/** What one client process reports after its load run. */
export interface ClientResult {
  readonly calls: number;
  readonly failed: number;
  /**
   * Connections the client keeps at the end of the run: one per endpoint-table entry (its subset
   * members), whatever the connection's state at that moment, as the simulation counts a subset.
   */
  readonly connections: number;
  /** Of those, the ones READY at that moment. */
  readonly ready: number;
}

/**
 * Health messages are counted each way, as `scale` (the simulation) counts them: a Check and its
 * answer are 2, a Watch message 1, and each connection's keepalive PING and its ACK 2 per
 * `KEEPALIVE_MS` (connect()'s default; serve() does not count pings, so they are added, not measured).
 */
export const KEEPALIVE_MS = 30_000;

export interface FleetFigures {
  connections_per_client: number;
  connections_per_client_max: number;
  ready_connections_per_client: number;
  /** Busiest replica's calls ÷ the mean over every replica. */
  max_mean_load: number;
  /** 2 × Checks + Watch messages + 2 × keepalive pings, per replica per second of the window. */
  health_msgs_per_replica_per_s: number;
  calls: number;
  failed_calls: number;
  calls_per_s: number;
  /**
   * Mean share of one core a replica process used over the window: the utilisation that sets
   * how much a replica's latency grows with its load, which the simulation is given.
   */
  replica_cpu_share: number;
}

/** Figures of one window from the groups' counters before and after it and the clients' results. */
export function fleetFigures(
  before: readonly GroupStats[],
  after: readonly GroupStats[],
  clients: readonly ClientResult[],
  windowMs: number,
): FleetFigures {
  const loads: number[] = [];
  let health = 0;
  after.forEach((group, i) => {
    const earlier = before[i]!;
    for (const [id, calls] of Object.entries(group.calls)) loads.push(calls - (earlier.calls[id] ?? 0));
    health += 2 * (group.checks - earlier.checks) + (group.watchMessages - earlier.watchMessages);
  });
  const mean = loads.reduce((sum, load) => sum + load, 0) / Math.max(1, loads.length);
  const connections = clients.map((c) => c.connections);
  const calls = clients.reduce((sum, c) => sum + c.calls, 0);
  const seconds = windowMs / 1000;
  const pings = (2 * connections.reduce((sum, n) => sum + n, 0) * 1000) / KEEPALIVE_MS;
  return {
    connections_per_client: round(connections.reduce((sum, n) => sum + n, 0) / Math.max(1, clients.length), 2),
    connections_per_client_max: Math.max(0, ...connections),
    ready_connections_per_client: round(clients.reduce((sum, c) => sum + c.ready, 0) / Math.max(1, clients.length), 2),
    max_mean_load: mean > 0 ? round(Math.max(...loads) / mean, 3) : 0,
    health_msgs_per_replica_per_s: round((health / seconds + pings) / Math.max(1, loads.length), 2),
    calls,
    failed_calls: clients.reduce((sum, c) => sum + c.failed, 0),
    calls_per_s: round(calls / seconds, 1),
    replica_cpu_share: round(
      after.reduce((sum, group, i) => sum + (group.cpuMs - before[i]!.cpuMs), 0) / Math.max(1, after.length) / windowMs,
      3,
    ),
  };
}

/** Health traffic per replica per second over a window with no calls, over `connections` in all. */
export function idleHealthPerReplica(
  before: readonly GroupStats[],
  after: readonly GroupStats[],
  windowMs: number,
  connections: number,
): number {
  let health = 0;
  let replicas = 0;
  after.forEach((group, i) => {
    health += 2 * (group.checks - before[i]!.checks) + (group.watchMessages - before[i]!.watchMessages);
    replicas += Object.keys(group.calls).length;
  });
  const pings = (2 * connections * 1000) / KEEPALIVE_MS;
  return round((health / (windowMs / 1000) + pings) / Math.max(1, replicas), 2);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
