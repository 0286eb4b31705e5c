import * as grpc from '@grpc/grpc-js';
import {
  EndpointPublisher,
  partLogger,
  systemScheduler,
  type Scheduler,
  type TimerHandle,
  type Disposer,
  type Endpoint,
  type EndpointSource,
  type Logger,
} from '@ballast/core';
import type { InFlightCounts } from './picker.js';
import { UsableEndpoints } from './usable-endpoints.js';
import type { SubsetOptions } from './subset/rendezvous-subset.js';
import { SubsetMembership } from './subset/subset-membership.js';

/** One endpoint's connection and counters, as the introspection API reports them. */
export interface EndpointStats {
  readonly id: string;
  readonly address: string;
  /** Whether the current picker may choose it (the detector's verdict). */
  readonly eligible: boolean;
  readonly inFlight: number;
  /** Attempts sent to it since it appeared. */
  readonly picks: number;
  readonly connectivity: keyof typeof grpc.connectivityState;
}

/** An attempt in flight that may be cancelled and re-issued elsewhere when its endpoint is taken out. */
export interface MovableAttempt {
  /** Ends the attempt so it is sent elsewhere; false when it stays (nothing would re-issue it). */
  moveOff(reason: string): boolean;
}

/**
 * One endpoint's entry: its one connection (calls and health checks share it, with the client's
 * credentials), the attempts in flight on it, and the picks it took. `retired` entries left the
 * endpoint set and close once their last attempt ends.
 */
export class EndpointEntry {
  inFlight = 0;
  picks = 0;
  retired = false;
  /** In-flight attempts that may move (idempotent ones); others are only counted. */
  readonly movable = new Set<MovableAttempt>();
  #channel: grpc.Channel | undefined;

  constructor(
    readonly endpoint: Endpoint,
    private readonly credentials: grpc.ChannelCredentials,
    private readonly options: grpc.ChannelOptions,
  ) {}

  /** The grpc-js channel, created on first use so endpoints nothing talks to cost nothing. */
  channel(): grpc.Channel {
    this.#channel ??= new grpc.Channel(this.endpoint.address, this.credentials, this.options);
    return this.#channel;
  }

  state(): grpc.connectivityState {
    return this.#channel?.getConnectivityState(false) ?? grpc.connectivityState.IDLE;
  }

  close(): void {
    this.#channel?.close();
    this.#channel = undefined;
  }
}

export interface EndpointTableOptions {
  readonly source: EndpointSource;
  /**
   * Connect to (and publish, so health-check) only this client's subset of the source's endpoints
   * (see `rendezvousSubset`); without it, every endpoint.
   */
  readonly subset?: SubsetOptions;
  /**
   * Time and timers of the subset: for how long a member that shed load counts as overloaded, and
   * when a member held down loses its place. Default: real time.
   */
  readonly scheduler?: Scheduler;
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /** The parent of the table's `ballast.balancer.endpoint-table` logger. */
  readonly logger?: Logger;
}

/**
 * The endpoints of one client, one entry each, shared by every balanced channel of the client
 * and by its failure detector: one connection per endpoint, in-flight attempts counted once.
 * It is itself an EndpointSource over the usable part of what its source publishes: an entry
 * with a bad address or an id seen twice is dropped (and said once), never the whole list.
 */
export class EndpointTable implements EndpointSource {
  readonly #entries = new Map<string, EndpointEntry>();
  readonly #retired = new Set<EndpointEntry>();
  readonly #publisher: EndpointPublisher;
  readonly #credentials: grpc.ChannelCredentials;
  readonly #options: grpc.ChannelOptions;
  readonly #logger: Logger;
  readonly #unsubscribe: Disposer;
  readonly #subset: SubsetMembership | undefined;
  /** Every usable endpoint the source publishes; the table publishes its subset of them. */
  #all: readonly Endpoint[] = [];
  #healthDisposer: Disposer | undefined;
  readonly #scheduler: Scheduler;
  /** Re-chooses the subset when a member held down loses its place. */
  #holdTimer: TimerHandle | undefined;
  readonly #filter: UsableEndpoints;
  #closed = false;

  constructor(options: EndpointTableOptions) {
    this.#credentials = options.credentials ?? grpc.credentials.createInsecure();
    // Ballast retries, hedges and moves attempts itself, with a budget; grpc-js's own retry layer
    // under it would retry again, unbudgeted, and hide each attempt's outcome.
    this.#options = { 'grpc.enable_retries': 0, ...options.channelOptions };
    this.#logger = partLogger('balancer', 'endpoint-table', options.logger);
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#subset = options.subset && new SubsetMembership(options.subset, this.#scheduler);
    this.#filter = new UsableEndpoints(this.#logger);
    this.#all = this.#filter.usable(options.source.current());
    this.#subset?.setEndpoints(this.#all);
    const first = this.#members();
    this.#publisher = new EndpointPublisher(first);
    this.#update(first);
    this.#unsubscribe = options.source.subscribe((list) => {
      if (this.#closed) return;
      this.#all = this.#filter.usable(list);
      this.#subset?.setEndpoints(this.#all);
      this.#publish(this.#members(), true);
    });
  }

  /**
   * Lets the subset grow past members that `isUp` says are down or ejected (and shrink back when
   * they recover): connect() passes its detector. Without a subset this does nothing.
   */
  followHealth(isUp: (id: string) => boolean, onChange: (listener: () => void) => Disposer): void {
    if (this.#subset === undefined || this.#closed) return;
    this.#healthDisposer?.();
    this.#scheduler.clearTimeout(this.#holdTimer);
    this.#subset.followHealth(isUp);
    this.#healthDisposer = onChange(() => this.#refresh());
  }

  /**
   * An attempt's outcome (connect() passes every one): a member that sheds load counts as
   * overloaded for a while, so the subset takes one more member beside it.
   */
  readonly noteOutcome = (outcome: { readonly endpointId: string; readonly signal?: string }): void => {
    const subset = this.#subset;
    if (subset === undefined) return;
    const changed = outcome.signal === 'endpoint-overloaded' && subset.noteOverloaded(outcome.endpointId);
    if (subset.expire() || changed) this.#refresh();
  };

  #refresh(): void {
    if (!this.#closed) this.#publish(this.#members(), false);
  }

  /** Every usable endpoint the source publishes, subset members or not. */
  available(): readonly Endpoint[] {
    return this.#all;
  }

  #members(): readonly Endpoint[] {
    if (this.#subset === undefined) return this.#all;
    const members = this.#subset.members((id) => this.#entries.has(id));
    this.#scheduler.clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const next = this.#subset.nextHoldExpiry();
    if (next !== undefined && !this.#closed) {
      this.#holdTimer = this.#scheduler.setTimeout(() => this.#refresh(), next - this.#scheduler.now(), {
        unref: true,
      });
    }
    return members;
  }

  /** Publishes `list`; a health change that leaves the membership as it was publishes nothing. */
  #publish(list: readonly Endpoint[], sourceChanged: boolean): void {
    if (!sourceChanged && sameIds(list, this.#publisher.current())) return;
    this.#update(list);
    this.#publisher.publish(list);
  }

  current(): readonly Endpoint[] {
    return this.#publisher.current();
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    return this.#publisher.subscribe(listener);
  }

  get(id: string): EndpointEntry | undefined {
    return this.#entries.get(id);
  }

  /** The connection to `endpoint` that calls use: health checks go over it too. */
  connection(endpoint: Endpoint): grpc.Channel | undefined {
    const entry = this.#entries.get(endpoint.id);
    return entry && entry.endpoint.address === endpoint.address ? entry.channel() : undefined;
  }

  entries(): IterableIterator<EndpointEntry> {
    return this.#entries.values();
  }

  /**
   * In-flight counts for the balancing policies of every channel over this table: they read the
   * table's own count (one per endpoint for the whole client) and leave the counting to it.
   */
  readonly inFlight: InFlightCounts = {
    counter: (endpoint) => {
      // A live view: an endpoint whose address changes gets a new entry under the same id.
      const entries = this.#entries;
      return {
        get inFlight() {
          return entries.get(endpoint.id)?.inFlight ?? 0;
        },
      };
    },
    add: () => {},
  };

  /** Counts an attempt on the entry; call `release` exactly once when it ends. */
  acquire(entry: EndpointEntry, movable: MovableAttempt | undefined): void {
    entry.inFlight++;
    entry.picks++;
    if (movable) entry.movable.add(movable);
  }

  release(entry: EndpointEntry, movable: MovableAttempt | undefined): void {
    entry.inFlight--;
    if (movable) entry.movable.delete(movable);
    if (entry.retired && entry.inFlight === 0 && this.#retired.delete(entry)) {
      entry.close();
      this.#logger.info({ endpoint: entry.endpoint.id }, 'retired endpoint drained, connection closed');
    }
  }

  /**
   * Cancels the movable attempts in flight on `id` so their calls re-issue them elsewhere (within
   * their deadline and retry budget). Returns how many moved.
   */
  moveOff(id: string, reason: string): number {
    const entry = this.#entries.get(id);
    if (!entry || entry.movable.size === 0) return 0;
    const attempts = [...entry.movable];
    entry.movable.clear();
    let moved = 0;
    for (const attempt of attempts) if (attempt.moveOff(reason)) moved++;
    this.#logger.warn(
      { endpoint: id, reason, moved, stayed: attempts.length - moved },
      'moved in-flight attempts off the endpoint',
    );
    return moved;
  }

  stats(eligible: ReadonlySet<string>): EndpointStats[] {
    return [...this.#entries.values()].map((entry) => ({
      id: entry.endpoint.id,
      address: entry.endpoint.address,
      eligible: eligible.has(entry.endpoint.id),
      inFlight: entry.inFlight,
      picks: entry.picks,
      connectivity: grpc.connectivityState[entry.state()] as keyof typeof grpc.connectivityState,
    }));
  }

  /** Retired entries still finishing calls (for tests and introspection). */
  get draining(): number {
    return this.#retired.size;
  }

  /** Stops following the source and closes every connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#healthDisposer?.();
    for (const entry of this.#entries.values()) entry.close();
    for (const entry of this.#retired) entry.close();
    this.#entries.clear();
    this.#retired.clear();
  }

  #update(endpoints: readonly Endpoint[]): void {
    const next = new Map(endpoints.map((e) => [e.id, e]));
    for (const [id, entry] of this.#entries) {
      const endpoint = next.get(id);
      if (endpoint && endpoint.address === entry.endpoint.address) continue;
      this.#entries.delete(id);
      this.#retire(entry, endpoint ? 'address changed' : 'left the endpoint set');
    }
    for (const endpoint of endpoints) {
      if (this.#entries.has(endpoint.id)) continue;
      this.#entries.set(endpoint.id, new EndpointEntry(endpoint, this.#credentials, this.#options));
      this.#logger.info({ endpoint: endpoint.id, address: endpoint.address }, 'endpoint added');
    }
  }

  #retire(entry: EndpointEntry, reason: string): void {
    entry.retired = true;
    this.#logger.info({ endpoint: entry.endpoint.id, reason, inFlight: entry.inFlight }, 'endpoint removed');
    if (entry.inFlight === 0) entry.close();
    else this.#retired.add(entry);
  }
}

function sameIds(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.id !== b[i]!.id || a[i]!.address !== b[i]!.address) return false;
  return true;
}
