/** What one replica group (a scale-replicas process) has counted since it started. */
export interface GroupStats {
  /** Echo calls per replica id. */
  readonly calls: Readonly<Record<string, number>>;
  /** grpc.health.v1 Check calls the group's replicas answered. */
  readonly checks: number;
  /** Watch messages the group's replicas sent. */
  readonly watchMessages: number;
}

/** What one client process reports after its load run. */
export interface ClientResult {
  readonly calls: number;
  readonly failed: number;
  /** Connections READY at the end of the run. */
  readonly connections: number;
  /** Endpoint-table entries (the endpoints the client keeps). */
  readonly entries: number;
}

export interface FleetFigures {
  connections_per_client: number;
  connections_per_client_max: number;
  /** Busiest replica's calls ÷ the mean over every replica. */
  max_mean_load: number;
  /** Checks answered + Watch messages sent, per replica per second of the window. */
  health_msgs_per_replica_per_s: number;
  calls: number;
  failed_calls: number;
  calls_per_s: number;
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
    health += group.checks - earlier.checks + (group.watchMessages - earlier.watchMessages);
  });
  const mean = loads.reduce((sum, load) => sum + load, 0) / Math.max(1, loads.length);
  const connections = clients.map((c) => c.connections);
  const calls = clients.reduce((sum, c) => sum + c.calls, 0);
  const seconds = windowMs / 1000;
  return {
    connections_per_client: round(connections.reduce((sum, n) => sum + n, 0) / Math.max(1, clients.length), 2),
    connections_per_client_max: Math.max(0, ...connections),
    max_mean_load: mean > 0 ? round(Math.max(...loads) / mean, 3) : 0,
    health_msgs_per_replica_per_s: round(health / Math.max(1, loads.length) / seconds, 2),
    calls,
    failed_calls: clients.reduce((sum, c) => sum + c.failed, 0),
    calls_per_s: round(calls / seconds, 1),
  };
}

/** Health traffic per replica per second over a window with no calls. */
export function idleHealthPerReplica(
  before: readonly GroupStats[],
  after: readonly GroupStats[],
  windowMs: number,
): number {
  let health = 0;
  let replicas = 0;
  after.forEach((group, i) => {
    health += group.checks - before[i]!.checks + (group.watchMessages - before[i]!.watchMessages);
    replicas += Object.keys(group.calls).length;
  });
  return round(health / Math.max(1, replicas) / (windowMs / 1000), 2);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
