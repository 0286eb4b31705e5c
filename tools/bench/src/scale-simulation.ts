import { DEFAULT_SUBSET_SIZE, slowStartSchema, type PolicyName } from '@ballast/balancer';
import { ManualClock, seededRandom, type Endpoint } from '@ballast/core';
import { parseDetectorSettings } from '@ballast/detector';
import { SimClient, type SimFleet, type SimReplica } from './scale-client.js';

export interface ScaleOptions {
  readonly clients: number;
  readonly replicas: number;
  readonly zones: number;
  readonly subsetSize?: number;
  readonly policy?: PolicyName;
  /**
   * Health traffic as connect()'s detector sends it (mode 'on-silence'): no Check on a connection
   * that answers calls; a Check after `silenceCheckMs` of silence with calls waiting, after
   * `idleCheckMs` without; unanswered within `checkTimeoutMs`, the replica is down. The Watch
   * stream is silent while nothing changes. One HTTP/2 keepalive ping per `keepaliveMs`.
   */
  readonly silenceCheckMs?: number;
  readonly idleCheckMs?: number;
  readonly checkTimeoutMs?: number;
  readonly keepaliveMs?: number;
  /** Virtual time per step; every client makes `callsPerTick` calls in each. */
  readonly tickMs?: number;
  readonly callsPerTick?: number;
  /** Steps to let the policies learn, then steps whose load is counted. */
  readonly warmupTicks?: number;
  readonly measureTicks?: number;
  /** Steps run after a zone dies. */
  readonly failoverTicks?: number;
  /** Mean utilisation of a replica (sets the capacity: latency grows as 1 ÷ (1 − utilisation)). */
  readonly utilisation?: number;
  /** σ of a log-normal latency factor that does not follow load (default 0: none). */
  readonly latencySigma?: number;
  readonly churnShare?: number;
  /**
   * The replicas' and clients' ids (default r0…, client-0…). A real fleet passes its own, so the
   * simulated clients draw the same rendezvous subsets as the real ones.
   */
  readonly replicaIds?: readonly string[];
  readonly clientIds?: readonly string[];
  readonly seed?: number;
  readonly progress?: (message: string) => void;
}

/** The `scale` record of BENCH.md, and what the zone failure cost. */
export interface ScaleFigures {
  clients: number;
  replicas: number;
  zones: number;
  connections_per_client: number;
  connections_per_client_max: number;
  max_mean_load: number;
  health_msgs_per_replica_per_s: number;
  churn_moved_ratio: number;
  zone_local_share: number;
  failover_failed_calls: number;
  failover_retried_calls: number;
  failover_shift_ms: number;
}

const ZONES = 'abcdefghijklmnopqrstuvwxyz';
const BASE_LATENCY_MS = 5;

/**
 * A fleet on a virtual clock: `clients` SimClients (the real subsetting, zone layer, slow start,
 * policy and outlier detector) over `replicas` simulated replicas in `zones` zones. Calls are
 * counted, not timed: each step every client makes its calls, each replica's utilisation for the
 * next step follows from the calls it took, and its latency from that. Four phases: load with all
 * healthy, 1 % of replicas replaced, then the last zone dies under load.
 */
export function simulateScale(options: ScaleOptions): ScaleFigures {
  const o = {
    subsetSize: DEFAULT_SUBSET_SIZE,
    policy: 'peak-ewma' as PolicyName,
    silenceCheckMs: 400,
    idleCheckMs: 2_000,
    checkTimeoutMs: 450,
    keepaliveMs: 30_000,
    tickMs: 100,
    callsPerTick: 1,
    warmupTicks: 100,
    measureTicks: 300,
    failoverTicks: 40,
    utilisation: 0.6,
    churnShare: 0.01,
    seed: 1,
    progress: () => {},
    ...options,
  };
  const clock = new ManualClock(0);
  const zoneName = (i: number) => ZONES[i % o.zones]!;
  const endpoint = (id: string, i: number): Endpoint => ({
    id,
    address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:50051`,
    zone: zoneName(i),
  });
  const fleet: SimFleet = {
    replicas: new Map(),
    list: [],
    clock,
    baseLatencyMs: BASE_LATENCY_MS,
    latencySigma: o.latencySigma,
  };
  const addReplica = (e: Endpoint) =>
    fleet.replicas.set(e.id, { endpoint: e, alive: true, load: 0, measured: 0, utilisation: o.utilisation });
  for (let i = 0; i < o.replicas; i++) addReplica(endpoint(o.replicaIds?.[i] ?? `r${i}`, i));
  fleet.list = [...fleet.replicas.values()].map((r) => r.endpoint);
  const capacityPerTick = (o.clients * o.callsPerTick) / o.replicas / o.utilisation;
  const detector = parseDetectorSettings({});
  const sweepEvery = detector.outlier ? Math.max(1, Math.round(detector.outlier.intervalMs / o.tickMs)) : 0;
  const slowStart = slowStartSchema.parse({});
  o.progress(`building ${o.clients} clients over ${o.replicas} replicas`);
  const clients = Array.from(
    { length: o.clients },
    (_, j) =>
      new SimClient(fleet, {
        id: o.clientIds?.[j] ?? `client-${j}`,
        zone: zoneName(j),
        subsetSize: o.subsetSize,
        policy: o.policy,
        slowStart,
        detector,
        maxAttempts: 3,
        seed: o.seed * 1_000_003 + j,
      }),
  );

  // The zone that died (set in the last phase); calls whose first attempt goes there are counted.
  const failure: { zone?: string } = {};
  const step = (measure: boolean) => {
    let local = 0;
    let calls = 0;
    let failed = 0;
    let retried = 0;
    let toDead = 0;
    for (const client of clients) {
      for (let k = 0; k < o.callsPerTick; k++) {
        const call = client.call();
        calls++;
        if (call.firstZone === client.options.zone) local++;
        if (!call.ok) failed++;
        if (call.attempts > 1) retried++;
        if (call.firstZone !== undefined && failure.zone === call.firstZone) toDead++;
      }
    }
    for (const replica of fleet.replicas.values()) {
      if (measure) replica.measured += replica.load;
      // The replica's reported utilisation is smoothed over a few steps, as a load report is.
      replica.utilisation = 0.7 * replica.utilisation + (0.3 * replica.load) / capacityPerTick;
      replica.load = 0;
    }
    clock.advance(o.tickMs);
    // The detector judges outliers once per interval, as its timer does.
    if (sweepEvery > 0 && Math.round(clock.now() / o.tickMs) % sweepEvery === 0)
      for (const client of clients) client.sweep();
    return { local, calls, failed, retried, toDead };
  };

  o.progress('all healthy: warm-up');
  for (let t = 0; t < o.warmupTicks; t++) step(false);
  o.progress('all healthy: counting load');
  let local = 0;
  let calls = 0;
  for (const client of clients) client.startHealthCount(o.idleCheckMs);
  for (let t = 0; t < o.measureTicks; t++) {
    const figures = step(true);
    local += figures.local;
    calls += figures.calls;
  }
  for (const client of clients) client.stopHealthCount();
  const checks = clients.reduce((sum, c) => sum + c.checks, 0);
  const loads = [...fleet.replicas.values()].map((r) => r.measured);
  const meanLoad = loads.reduce((a, b) => a + b, 0) / loads.length;
  const subsetSizes = clients.map((c) => c.subset.length);
  const connections = subsetSizes.reduce((a, b) => a + b, 0);
  // Each Check and each keepalive PING is answered: two messages per replica each.
  const windowS = (o.measureTicks * o.tickMs) / 1_000;
  const healthMsgs = (2 * checks) / o.replicas / windowS + (connections / o.replicas) * 2 * (1_000 / o.keepaliveMs);

  o.progress(`replacing ${Math.round(o.churnShare * 100)} % of replicas`);
  const churnRatio = churn(fleet, clients, o.churnShare, o.seed, endpoint, addReplica);

  o.progress(`zone ${zoneName(o.zones - 1)} dies under load`);
  const deadZone = zoneName(o.zones - 1);
  failure.zone = deadZone;
  const diedAt = clock.now();
  const random = seededRandom(o.seed + 7);
  const detections: { at: number; client: SimClient; id: string }[] = [];
  for (const replica of fleet.replicas.values()) if (replica.endpoint.zone === deadZone) replica.alive = false;
  for (const client of clients) {
    for (const member of client.subset) {
      if (member.zone !== deadZone) continue;
      // A connection with calls waiting is probed after a short silence, an idle one within the
      // idle interval; the Check goes unanswered for one timeout.
      const silence = member.zone === client.options.zone ? o.silenceCheckMs : random() * o.idleCheckMs;
      detections.push({ at: diedAt + silence + o.checkTimeoutMs, client, id: member.id });
    }
  }
  // A dead replica that joins a subset later is found when its connection attempt times out.
  fleet.onJoin = (client, id) => {
    if (!fleet.replicas.get(id)!.alive) detections.push({ at: clock.now() + o.checkTimeoutMs, client, id });
  };
  let next = 0;
  let failedCalls = 0;
  let retriedCalls = 0;
  let shiftedAt: number | undefined;
  for (let t = 0; t < o.failoverTicks; t++) {
    detections.sort((a, b) => a.at - b.at);
    while (next < detections.length && detections[next]!.at <= clock.now()) {
      const { client, id } = detections[next++]!;
      client.markDown(id);
    }
    detections.splice(0, next);
    next = 0;
    const now = clock.now();
    const figures = step(false);
    failedCalls += figures.failed;
    retriedCalls += figures.retried;
    // Shifted: fewer than 1 % of first attempts still go to the dead zone.
    if (figures.toDead < 0.01 * figures.calls) shiftedAt ??= now;
    else shiftedAt = undefined;
  }
  return {
    clients: o.clients,
    replicas: o.replicas,
    zones: o.zones,
    connections_per_client: round(connections / o.clients, 2),
    connections_per_client_max: Math.max(...subsetSizes),
    max_mean_load: round(Math.max(...loads) / meanLoad, 3),
    health_msgs_per_replica_per_s: round(healthMsgs, 1),
    churn_moved_ratio: round(churnRatio, 3),
    zone_local_share: round(local / calls, 4),
    failover_failed_calls: failedCalls,
    failover_retried_calls: retriedCalls,
    failover_shift_ms: shiftedAt === undefined ? Number.POSITIVE_INFINITY : Math.round(shiftedAt - diedAt),
  };
}

/**
 * Replaces `share` of the replicas with new ones in the same zones and rebuilds every client.
 * Returns the connections moved ÷ the minimum: the connections on the departed replicas (as many
 * join as leave, so the newcomers' fair share is no more than that).
 */
function churn(
  fleet: SimFleet,
  clients: readonly SimClient[],
  share: number,
  seed: number,
  endpoint: (id: string, i: number) => Endpoint,
  addReplica: (e: Endpoint) => void,
): number {
  const random = seededRandom(seed + 3);
  const list = [...fleet.list];
  const count = Math.max(1, Math.round(list.length * share));
  const leaving = new Set<string>();
  while (leaving.size < count) leaving.add(list[Math.floor(random() * list.length)]!.id);
  const before = clients.map((c) => new Set(c.subset.map((e) => e.id)));
  let index = list.length;
  // Each newcomer takes a departed replica's zone, under a new id and address.
  const joining = list
    .filter((e) => leaving.has(e.id))
    .map((e) => ({ ...endpoint(`r${index}`, index++), zone: e.zone }));
  for (const id of leaving) (fleet.replicas.get(id) as SimReplica).alive = false;
  for (const id of leaving) fleet.replicas.delete(id);
  for (const e of joining) addReplica(e);
  fleet.list = [...list.filter((e) => !leaving.has(e.id)), ...joining];
  let moved = 0;
  let minimum = 0;
  clients.forEach((client, i) => {
    client.rebuild();
    const now = new Set(client.subset.map((e) => e.id));
    for (const id of before[i]!) {
      if (!now.has(id)) moved++;
      if (leaving.has(id)) minimum++;
    }
  });
  return minimum === 0 ? 1 : moved / minimum;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
