import { repeat, type Disposer, type Logger, type Scheduler, type TimerHandle } from '@ballast/core';
import type { Etcd3, IEvent, IWatchResponse, Watcher } from 'etcd3';
import { isCompactedError } from './errors.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { prefixEnd, toKeyValue } from './etcd-mapping.js';
import type { WatchBatch, WatchEvent, WatchHandlers, WatchTarget } from './kv-store.js';

export interface GuardedWatchDeps {
  /** A fresh client for the watch stream: a stuck stream is replaced with a new client, not reused. */
  newClient(): Etcd3;
  /** Keys in the watched range with a mod revision >= `from` (a linearizable read on the main client). */
  changedSince(target: WatchTarget, from: number): Promise<number[]>;
  /** Whether history at `revision` is gone (etcd3 cancels such a watch with an empty reason). */
  isCompacted(revision: number): Promise<boolean>;
  readonly checkIntervalMs: number;
  readonly logger: Logger;
  /** Time and timers: the start bound, the check interval, the reopen backoff. */
  readonly scheduler: Scheduler;
}

/**
 * One etcd watch that delivers every revision exactly once. It remembers the last revision it
 * delivered, drops repeats after etcd3 reconnects, and replaces its stream (on a new client) when a
 * read shows changes the stream has not delivered for a whole check interval — the silent watchers
 * of microsoft/etcd3 #72 and #78.
 */
export class GuardedWatch {
  #last: number;
  #client?: Etcd3;
  #watcher?: Watcher;
  #stopChecks?: Disposer;
  #pendingSeenAt?: number;
  #closed = false;
  /** Ends a reopen backoff that is under way when the watch closes. */
  readonly #closing = new AbortController();
  #restarts = 0;
  readonly #backoff = new ReconnectBackoff();

  constructor(
    private readonly target: WatchTarget,
    private readonly handlers: WatchHandlers,
    private readonly deps: GuardedWatchDeps,
    fromRevision: number,
  ) {
    this.#last = fromRevision - 1;
  }

  /** Times the stream was replaced because it fell silent. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Opens the stream; rejects (and cleans up) if etcd does not confirm it within `timeoutMs`. */
  async start(timeoutMs: number): Promise<void> {
    const { scheduler } = this.deps;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = scheduler.setTimeout(
        () => reject(new Error(`watch on "${this.target.key}" not confirmed in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#open(), timedOut]);
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      scheduler.clearTimeout(timer);
    }
    this.#stopChecks = repeat(scheduler, this.deps.checkIntervalMs, () => void this.#check(), { unref: true });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    this.#stopChecks?.();
    this.#drop();
  }

  async #open(): Promise<void> {
    const client = this.deps.newClient();
    this.#client = client;
    const key = Buffer.from(this.target.key);
    const builder = client.watch().startRevision(String(this.#last + 1));
    if (this.target.prefix) builder.inRange({ start: key, end: prefixEnd(this.target.key) });
    else builder.key(key);
    const watcher = builder.watcher();
    this.#watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => this.#onData(res));
    watcher.on('disconnected', (err: Error) =>
      this.deps.logger.warn({ key: this.target.key, reason: err.message }, 'watch disconnected; etcd3 reconnects'),
    );
    watcher.on('error', (err: Error) => this.#onError(watcher, err));
    await new Promise<void>((resolve, reject) => {
      watcher.once('connected', () => resolve());
      watcher.once('error', reject);
    }).catch((err: Error) => {
      if (!isCompactedError(err)) throw err;
    });
  }

  #drop(): void {
    const client = this.#client;
    this.#watcher?.removeAllListeners();
    this.#watcher?.on('error', () => {});
    this.#watcher = undefined;
    this.#client = undefined;
    // cancel() waits for etcd to confirm, which never comes on a dead stream; closing the client ends it.
    client?.close();
  }

  #onData(res: IWatchResponse): void {
    const byRevision = new Map<number, WatchEvent[]>();
    for (const ev of res.events as IEvent[]) {
      const revision = Number(ev.kv.mod_revision);
      if (revision <= this.#last) continue;
      const event: WatchEvent =
        ev.type === 'Put'
          ? { type: 'put', kv: toKeyValue(ev.kv) }
          : { type: 'delete', key: ev.kv.key.toString(), modRevision: revision };
      const list = byRevision.get(revision) ?? [];
      list.push(event);
      byRevision.set(revision, list);
    }
    for (const [revision, events] of [...byRevision].sort((a, b) => a[0] - b[0])) {
      if (this.#closed) return;
      this.#last = revision;
      this.#pendingSeenAt = undefined;
      this.#backoff.reset();
      const batch: WatchBatch = { revision, events };
      this.handlers.onEvents(batch);
    }
  }

  #onError(watcher: Watcher, err: Error): void {
    if (this.#closed || watcher !== this.#watcher) return;
    void this.#recover(err);
  }

  async #recover(err: Error): Promise<void> {
    const from = this.#last + 1;
    const compacted = isCompactedError(err) || (await this.deps.isCompacted(from).catch(() => false));
    if (this.#closed) return;
    if (compacted) {
      this.deps.logger.warn({ key: this.target.key, revision: from }, 'watch revision compacted; caller re-syncs');
      await this.close();
      this.handlers.onCompacted?.(from);
      return;
    }
    const delay = this.#backoff.next();
    this.deps.logger.warn({ key: this.target.key, reason: err.message, retryInMs: delay }, 'watch failed; reopening');
    try {
      await this.deps.scheduler.sleep(delay, this.#closing.signal);
    } catch {
      return; // closed while waiting
    }
    await this.#restart();
  }

  async #check(): Promise<void> {
    if (this.#closed) return;
    const last = this.#last;
    let changed: number[];
    try {
      changed = await this.deps.changedSince(this.target, last + 1);
    } catch {
      return; // the cluster is unreachable: nothing to compare with yet
    }
    if (this.#closed || this.#last !== last || changed.length === 0) {
      this.#pendingSeenAt = undefined;
      return;
    }
    // A change the stream has not delivered: give it one interval before calling the stream silent.
    if (this.#pendingSeenAt === undefined) {
      this.#pendingSeenAt = last;
      return;
    }
    this.deps.logger.warn(
      { key: this.target.key, lastRevision: last, undelivered: Math.min(...changed) },
      'watch stream silent while the key changed; replacing the stream',
    );
    await this.#restart();
  }

  async #restart(): Promise<void> {
    if (this.#closed) return;
    this.#restarts += 1;
    this.#pendingSeenAt = undefined;
    this.#drop();
    try {
      await this.#open();
    } catch (err) {
      this.deps.logger.warn({ key: this.target.key, reason: (err as Error).message }, 'watch reopen failed');
    }
  }
}
