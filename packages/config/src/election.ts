import type { Disposer, Logger, Scheduler } from '@ballast/core';
import { Candidacy } from './candidacy.js';
import { InvalidOptionError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { Mirror } from './mirror.js';
import { isValidName } from './registry-entry.js';

export interface ElectionOptions {
  /** Lease TTL: a dead leader is replaced within about this long. Default 5 s. */
  readonly ttlSeconds?: number;
  /** Default /ballast/elections/. */
  readonly root?: string;
  readonly logger?: Logger;
  /** Time and timers of each candidate's lease and of the mirrors; a VirtualScheduler in tests. Default real time. */
  readonly scheduler?: Scheduler;
}

/** A leader as seen from the store. */
export interface LeaderInfo {
  readonly value: string;
  /** Fencing token: the create revision of the leader's key. */
  readonly token: number;
}

/** Leadership: `token` fences writes (fencedTxn); onLost fires before the lease can expire on the server. */
export type Leadership = Candidacy;

/**
 * Leader election by lowest create revision under `<root><name>/`, each candidate on its own lease.
 * Leadership carries a fencing token that a stale leader cannot reuse: fencedTxn only applies while
 * the leader's key still exists with that create revision.
 */
export class Election {
  readonly prefix: string;
  readonly #ttlSeconds: number;
  /** The caller's logger: the parent of each candidacy's and mirror's. */
  readonly #logger: Logger | undefined;
  readonly #scheduler: Scheduler | undefined;

  constructor(
    private readonly store: KvStore,
    readonly name: string,
    options: ElectionOptions = {},
  ) {
    if (!isValidName(name)) throw new InvalidOptionError('election name', `"${name}": letters, digits, . _ - only`);
    const ttl = options.ttlSeconds ?? 5;
    if (!Number.isInteger(ttl) || ttl < 1) throw new InvalidOptionError('ttlSeconds', `${ttl}: a whole number >= 1`);
    this.prefix = `${options.root ?? '/ballast/elections/'}${name}/`;
    this.#ttlSeconds = ttl;
    this.#logger = options.logger;
    this.#scheduler = options.scheduler;
  }

  /** Joins and waits until elected. Abort `signal` to stop waiting (the candidacy is withdrawn). */
  async campaign(value: string, options: { signal?: AbortSignal } = {}): Promise<Leadership> {
    options.signal?.throwIfAborted();
    const candidacy = await Candidacy.join(this.store, this.prefix, value, {
      ttlSeconds: this.#ttlSeconds,
      logger: this.#logger,
      scheduler: this.#scheduler,
    });
    try {
      await candidacy.waitUntilHolding(options.signal);
      return candidacy;
    } catch (err) {
      await candidacy.release();
      throw err;
    }
  }

  /** The current leader by a linearizable read, or undefined. */
  async leader(): Promise<LeaderInfo | undefined> {
    const { kvs } = await this.store.range(this.prefix);
    const first = [...kvs].sort((a, b) => a.createRevision - b.createRevision)[0];
    return first ? { value: first.value, token: first.createRevision } : undefined;
  }

  /** Calls `listener` with each new leader (or undefined), from our own watch of the prefix. */
  async observe(listener: (leader: LeaderInfo | undefined) => void): Promise<Disposer> {
    const mirror = await Mirror.start(this.store, this.prefix, {
      prefix: true,
      logger: this.#logger,
      scheduler: this.#scheduler,
    });
    let last: number | undefined = -1;
    const emit = () => {
      let first: { value: string; createRevision: number } | undefined;
      for (const kv of mirror.kvs.values()) if (!first || kv.createRevision < first.createRevision) first = kv;
      if (first?.createRevision === last) return;
      last = first?.createRevision;
      listener(first ? { value: first.value, token: first.createRevision } : undefined);
    };
    mirror.onChange(emit);
    emit();
    return () => void mirror.close();
  }
}
