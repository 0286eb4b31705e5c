import {
  chooseSubset,
  createPolicy,
  rankEndpoints,
  pickRequest,
  type Ranking,
  SlowStartPicker,
  SlowStartTracker,
  zonePicker,
  type Picker,
  type PolicyName,
  type SlowStartOptions,
} from '@ballast/balancer';
import { seededRandom, type Clock, type Endpoint } from '@ballast/core';
import { eligibleWithPanic, OutlierDetector, type DetectorSettings } from '@ballast/detector';
import { pino } from 'pino';

/** One simulated replica: its capacity is counted in calls per tick. */
export interface SimReplica {
  readonly endpoint: Endpoint;
  alive: boolean;
  /** Calls taken this tick, and over the measured window. */
  load: number;
  measured: number;
  /** Utilisation as the replica reports it (smoothed over ticks), which sets its latency. */
  utilisation: number;
}

export interface SimFleet {
  readonly replicas: Map<string, SimReplica>;
  /** The endpoint list the registry publishes. */
  list: readonly Endpoint[];
  readonly clock: Clock;
  readonly baseLatencyMs: number;
  /**
   * Spread of a call's latency that does not follow load (scheduling, the peer's other work), as
   * the σ of a log-normal factor; 0: latency follows utilisation only.
   */
  readonly latencySigma?: number;
  /** A replica joined a client's subset: its connection and health stream start now. */
  onJoin?(client: SimClient, id: string): void;
}

export interface SimClientOptions {
  readonly id: string;
  readonly zone: string;
  readonly subsetSize: number;
  readonly policy: PolicyName;
  readonly slowStart: SlowStartOptions;
  readonly detector: DetectorSettings;
  readonly maxAttempts: number;
  readonly seed: number;
}

/** How one call went: the zone of its first attempt, attempts used, and whether one succeeded. */
export interface SimCall {
  readonly firstZone: string | undefined;
  readonly attempts: number;
  readonly ok: boolean;
}

const silent = pino({ level: 'silent' });
const FIRST_ATTEMPT = pickRequest();
const FAILED = { code: 14, signal: 'endpoint-failing', latencyMs: 1 } as const;

/**
 * A client as connect() builds one, minus the sockets: the real subsetting, the detector's
 * outlier rules and panic threshold, the zone layer, slow start and the balancing policy, over
 * simulated replicas. What it believes about a replica comes from its own failed calls
 * (outlier ejection) and from the health stream of the connection (`markDown` at the time a
 * keepalive ping would have timed out).
 */
export class SimClient {
  readonly #policy;
  readonly #random;
  readonly #outlier: OutlierDetector | undefined;
  readonly #tracker: SlowStartTracker;
  readonly #down = new Set<string>();
  #subset: readonly Endpoint[] = [];
  #members: ReadonlySet<string> = new Set();
  #ranking: { readonly of: readonly Endpoint[]; readonly ranking: Ranking } | undefined;
  /** When each member last answered (a call or a Check), while health traffic is counted. */
  #heard: Map<string, number> | undefined;
  /** Health Checks sent while counting: one per `idleCheckMs` of silence on a connection. */
  checks = 0;
  #picker: Picker | undefined;

  constructor(
    private readonly fleet: SimFleet,
    readonly options: SimClientOptions,
  ) {
    this.#random = seededRandom(options.seed);
    this.#policy = createPolicy({
      policy: options.policy,
      clock: fleet.clock,
      random: this.#random,
      logger: silent,
    });
    this.#outlier = options.detector.outlier ? new OutlierDetector(options.detector.outlier, this.#random) : undefined;
    this.#tracker = new SlowStartTracker(options.slowStart, fleet.clock);
    this.rebuild();
  }

  /** The replicas this client connects to (and health-checks). */
  get subset(): readonly Endpoint[] {
    return this.#subset;
  }

  /** A uniform draw from this client's own seeded source (ping phases). */
  random(): number {
    return this.#random();
  }

  /** Recomputes the subset from the registry's list and this client's verdicts, and the picker over it. */
  rebuild(): void {
    const usable = (id: string) => !this.#down.has(id) && this.#outlier?.ejection(id) === undefined;
    const subset = { size: this.options.subsetSize, clientId: this.options.id, zone: this.options.zone };
    // As the endpoint table does: rank once per registry list, choose again on every health change.
    if (this.#ranking?.of !== this.fleet.list) {
      this.#ranking = { of: this.fleet.list, ranking: rankEndpoints(this.fleet.list, subset) };
    }
    this.#subset = chooseSubset(this.#ranking.ranking, usable, subset);
    const previous = this.#members;
    const members = new Set(this.#subset.map((e) => e.id));
    this.#members = members;
    if (this.fleet.onJoin) for (const id of members) if (!previous.has(id)) this.fleet.onJoin(this, id);
    this.#outlier?.setEndpoints(members);
    const { eligible } = eligibleWithPanic(this.#subset, (e) => usable(e.id), this.options.detector.panicThreshold);
    const since = this.#tracker.update(eligible);
    // Slow start inside each zone's picker: a ramping endpoint's turned-down pick stays in its zone.
    const build = (list: readonly Endpoint[]) => {
      const picker = this.#policy.picker(list);
      return since.size === 0
        ? picker
        : new SlowStartPicker(picker, since, this.options.slowStart, this.fleet.clock, this.#random);
    };
    this.#picker = zonePicker(this.#subset, eligible, this.options.zone, build, this.#random);
  }

  /**
   * The health stream says the replica is gone. The verdict outlives the replica's membership, so
   * a dead replica the subset dropped is not taken back as new.
   */
  markDown(id: string): void {
    if (this.#down.has(id) || !this.#members.has(id)) return;
    this.#down.add(id);
    this.rebuild();
  }

  /** One idempotent call, retried on other replicas (the retry excludes those already tried). */
  call(): SimCall {
    const now = this.fleet.clock.now();
    let exclude: Set<string> | undefined;
    let firstZone: string | undefined;
    let changed = false;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      const pick = this.#picker!.pick(exclude === undefined ? FIRST_ATTEMPT : pickRequest({ exclude }));
      const replica = this.fleet.replicas.get(pick.endpoint.id)!;
      if (attempt === 1) firstZone = pick.endpoint.zone;
      if (!replica.alive) {
        pick.done(FAILED);
        const events = this.#outlier?.record(replica.endpoint.id, FAILED.code, now, FAILED.signal) ?? [];
        changed ||= events.length > 0;
        (exclude ??= new Set()).add(replica.endpoint.id);
        continue;
      }
      replica.load++;
      if (this.#heard) this.#heardFrom(replica.endpoint.id, now);
      const latencyMs =
        (this.fleet.baseLatencyMs / (1 - Math.min(replica.utilisation, 0.95))) *
        this.#noise(this.fleet.latencySigma ?? 0);
      pick.done({ code: 0, signal: 'ok', latencyMs });
      if (changed) this.rebuild();
      return { firstZone, attempts: attempt, ok: true };
    }
    if (changed) this.rebuild();
    return { firstZone, attempts: this.options.maxAttempts, ok: false };
  }

  /**
   * Counts health traffic from now on, as the on-silence detector sends it: a connection that
   * answers calls gets no Check; a silent one gets one every `idleCheckMs` of silence.
   */
  startHealthCount(idleCheckMs: number): void {
    const now = this.fleet.clock.now();
    this.#idleCheckMs = idleCheckMs;
    this.#heard = new Map(this.#subset.map((e) => [e.id, now]));
    this.checks = 0;
  }

  /** Stops counting: the silences still open count up to now. */
  stopHealthCount(): void {
    const now = this.fleet.clock.now();
    for (const id of this.#heard?.keys() ?? []) this.#heardFrom(id, now);
    this.#heard = undefined;
  }

  #idleCheckMs = Number.POSITIVE_INFINITY;

  #heardFrom(id: string, now: number): void {
    const last = this.#heard!.get(id);
    if (last === undefined) return;
    // The Checks of the silence that just ended; each answer ended a silence of its own.
    this.checks += Math.floor((now - last) / this.#idleCheckMs);
    this.#heard!.set(id, now);
  }

  /** A log-normal factor of median 1 (Box–Muller over this client's seeded source). */
  #noise(sigma: number): number {
    if (sigma <= 0) return 1;
    const normal = Math.sqrt(-2 * Math.log(1 - this.#random())) * Math.cos(2 * Math.PI * this.#random());
    return Math.exp(sigma * normal);
  }

  /** Lets the outlier detector end ejections whose time is up. */
  sweep(): void {
    if (this.#outlier && this.#outlier.sweep(this.fleet.clock.now()).length > 0) this.rebuild();
  }
}
