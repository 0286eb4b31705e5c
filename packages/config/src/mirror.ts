import { Emitter, partLogger, systemScheduler, type Disposer, type Logger, type Scheduler } from '@ballast/core';
import type { KeyValue, KvStore, WatchBatch, WatchHandle } from './kv-store.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

export interface MirrorOptions {
  /** Mirror every key under `key` (default) or `key` alone. */
  readonly prefix?: boolean;
  readonly logger?: Logger;
  /** Where the waits between re-read attempts run; a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
}

export type MirrorChange = { readonly reason: 'events'; readonly batch: WatchBatch } | { readonly reason: 'resync' };

/**
 * A local copy of one key or every key under a prefix: a read, then a watch from the read's
 * revision + 1, so no change is missed or applied twice. When history was compacted under the
 * watch, it re-reads and watches again, and says so (`resync`).
 */
export class Mirror {
  #kvs = new Map<string, KeyValue>();
  #revision = 0;
  #watch?: WatchHandle;
  #closed = false;
  /** Ends a re-read backoff that is under way when the mirror closes. */
  readonly #closing = new AbortController();
  readonly #listeners: Emitter<MirrorChange>;
  #resyncs = 0;

  private constructor(
    private readonly store: KvStore,
    readonly key: string,
    readonly prefix: boolean,
    private readonly logger: Logger,
    private readonly scheduler: Scheduler,
  ) {
    this.#listeners = new Emitter('mirror change', logger);
  }

  static async start(store: KvStore, key: string, options: MirrorOptions = {}): Promise<Mirror> {
    const logger = partLogger('config', 'mirror', options.logger);
    const mirror = new Mirror(store, key, options.prefix ?? true, logger, options.scheduler ?? systemScheduler);
    await mirror.#sync();
    return mirror;
  }

  /** Keys by name, as of `revision`. */
  get kvs(): ReadonlyMap<string, KeyValue> {
    return this.#kvs;
  }

  get revision(): number {
    return this.#revision;
  }

  /** How many times the mirror re-read after compaction. */
  get resyncs(): number {
    return this.#resyncs;
  }

  onChange(listener: (change: MirrorChange) => void): Disposer {
    return this.#listeners.on(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    this.#listeners.clear();
    await this.#watch?.close();
  }

  async #sync(): Promise<void> {
    const read = this.prefix ? await this.store.range(this.key) : await this.store.get(this.key);
    const kvs = 'kvs' in read ? read.kvs : read.kv ? [read.kv] : [];
    this.#kvs = new Map(kvs.map((kv) => [kv.key, kv]));
    this.#revision = read.revision;
    this.#watch = await this.store.watch(
      { key: this.key, prefix: this.prefix, fromRevision: read.revision + 1 },
      { onEvents: (batch) => this.#apply(batch), onCompacted: (revision) => void this.#resync(revision) },
    );
  }

  #apply(batch: WatchBatch): void {
    if (this.#closed || batch.revision <= this.#revision) return;
    for (const event of batch.events) {
      if (event.type === 'put') this.#kvs.set(event.kv.key, event.kv);
      else this.#kvs.delete(event.key);
    }
    this.#revision = batch.revision;
    this.#emit({ reason: 'events', batch });
  }

  async #resync(revision: number): Promise<void> {
    if (this.#closed) return;
    this.#resyncs += 1;
    this.logger.warn({ key: this.key, revision }, 'history compacted under the watch; re-reading');
    const backoff = new ReconnectBackoff();
    while (!this.#closed) {
      try {
        await this.#watch?.close();
        await this.#sync();
        this.#emit({ reason: 'resync' });
        return;
      } catch (err) {
        const delay = backoff.next();
        this.logger.warn(
          { key: this.key, reason: (err as Error).message, retryInMs: delay },
          're-read failed; retrying',
        );
        // Rejects only when the mirror closes, which ends the loop.
        await this.scheduler.sleep(delay, this.#closing.signal).catch(() => {});
      }
    }
  }

  #emit(change: MirrorChange): void {
    this.#listeners.emit(change);
  }
}
