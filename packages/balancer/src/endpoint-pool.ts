import * as grpc from '@grpc/grpc-js';
import type { Endpoint, Logger } from '@ballast/core';

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

/** A live entry; `retired` entries left the endpoint set and close once their last call ends. */
export class PoolEntry {
  inFlight = 0;
  picks = 0;
  retired = false;
  #channel: grpc.Channel | undefined;

  constructor(
    readonly endpoint: Endpoint,
    private readonly credentials: grpc.ChannelCredentials,
    private readonly options: grpc.ChannelOptions,
  ) {}

  /** The grpc-js channel, created on first use so endpoints that never get a pick cost nothing. */
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

/**
 * Keeps one grpc-js channel per endpoint: entries appear with the endpoint set and retire when
 * their endpoint leaves, closing only after their in-flight attempts finish.
 */
export class EndpointPool {
  readonly #entries = new Map<string, PoolEntry>();
  readonly #retired = new Set<PoolEntry>();

  constructor(
    private readonly credentials: grpc.ChannelCredentials,
    private readonly options: grpc.ChannelOptions,
    private readonly logger: Logger,
  ) {}

  update(endpoints: readonly Endpoint[]): void {
    const next = new Map(endpoints.map((e) => [e.id, e]));
    for (const [id, entry] of this.#entries) {
      const endpoint = next.get(id);
      if (endpoint && endpoint.address === entry.endpoint.address) continue;
      this.#entries.delete(id);
      this.#retire(entry, endpoint ? 'address changed' : 'left the endpoint set');
    }
    for (const endpoint of endpoints) {
      if (this.#entries.has(endpoint.id)) continue;
      this.#entries.set(endpoint.id, new PoolEntry(endpoint, this.credentials, this.options));
      this.logger.info({ endpoint: endpoint.id, address: endpoint.address }, 'endpoint added');
    }
  }

  get(id: string): PoolEntry | undefined {
    return this.#entries.get(id);
  }

  /** Counts an attempt on the entry; call `release` exactly once when it ends. */
  acquire(entry: PoolEntry): void {
    entry.inFlight++;
    entry.picks++;
  }

  release(entry: PoolEntry): void {
    entry.inFlight--;
    if (entry.retired && entry.inFlight === 0 && this.#retired.delete(entry)) {
      entry.close();
      this.logger.info({ endpoint: entry.endpoint.id }, 'retired endpoint drained, connection closed');
    }
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

  entries(): IterableIterator<PoolEntry> {
    return this.#entries.values();
  }

  /** Retired entries still finishing calls (for tests and introspection). */
  get draining(): number {
    return this.#retired.size;
  }

  close(): void {
    for (const entry of this.#entries.values()) entry.close();
    for (const entry of this.#retired) entry.close();
    this.#entries.clear();
    this.#retired.clear();
  }

  #retire(entry: PoolEntry, reason: string): void {
    entry.retired = true;
    this.logger.info({ endpoint: entry.endpoint.id, reason, inFlight: entry.inFlight }, 'endpoint removed');
    if (entry.inFlight === 0) entry.close();
    else this.#retired.add(entry);
  }
}
