import { Emitter, partLogger, type Disposer, type Logger, type Scheduler } from '@ballast/core';
import { NotLeaderError } from './errors.js';
import type { KeyValue, KvStore, TxnRequest, TxnResult } from './kv-store.js';
import { LeaseKeeper } from './lease-keeper.js';
import { Mirror } from './mirror.js';

export type CandidacyState =
  | { readonly type: 'waiting' }
  | { readonly type: 'holding'; readonly token: number }
  | { readonly type: 'lost'; readonly reason: string }
  | { readonly type: 'released' };

export interface CandidacyOptions {
  readonly ttlSeconds: number;
  /** The parent of the candidacy's logger and of its lease's and mirror's. */
  readonly logger?: Logger;
  /** Time and timers of its lease and mirror; default real time. */
  readonly scheduler?: Scheduler;
}

/**
 * A place in the queue under `prefix` (etcd's concurrency recipe): a key `<prefix><lease>` on a
 * kept-alive lease; the key with the lowest create revision holds the election or lock, and that
 * revision is its fencing token. Waiting uses our own prefix mirror, never etcd3's observe().
 */
export class Candidacy {
  #state: CandidacyState = { type: 'waiting' };
  readonly #lost: Emitter<string>;
  readonly #changed: Emitter<void>;

  private constructor(
    private readonly store: KvStore,
    readonly prefix: string,
    readonly key: string,
    readonly value: string,
    readonly createRevision: number,
    private readonly keeper: LeaseKeeper,
    private readonly mirror: Mirror,
    private readonly logger: Logger,
  ) {
    this.#lost = new Emitter('candidacy lost', logger);
    this.#changed = new Emitter('candidacy change', logger);
    keeper.onLost((reason) => this.#lose(`lease lost (${reason})`));
    mirror.onChange(() => this.#evaluate());
    this.#evaluate();
  }

  static async join(store: KvStore, prefix: string, value: string, options: CandidacyOptions): Promise<Candidacy> {
    const { ttlSeconds, logger, scheduler } = options;
    const keeper = await LeaseKeeper.grant(store, { ttlSeconds, logger, scheduler });
    try {
      const key = `${prefix}${keeper.id}`;
      const created = await store.txn({
        compare: [{ key, target: 'createRevision', op: '==', value: 0 }],
        success: [{ type: 'put', key, value, lease: keeper.id }],
        failure: [{ type: 'get', key }],
      });
      const mirror = await Mirror.start(store, prefix, { prefix: true, logger, scheduler });
      const own = mirror.kvs.get(key);
      const createRevision = own?.createRevision ?? created.revision;
      return new Candidacy(
        store,
        prefix,
        key,
        value,
        createRevision,
        keeper,
        mirror,
        partLogger('config', 'candidacy', options.logger),
      );
    } catch (err) {
      await keeper.revoke();
      throw err;
    }
  }

  get state(): CandidacyState {
    return this.#state;
  }

  /** The fencing token: the create revision of this candidate's key. */
  get token(): number {
    return this.createRevision;
  }

  /** Holding now, and the lease is safely alive. */
  get holding(): boolean {
    return this.#state.type === 'holding' && this.keeper.alive;
  }

  /** The current holder's key, as the mirror sees it. */
  holder(): KeyValue | undefined {
    return lowest(this.mirror.kvs);
  }

  onLost(listener: (reason: string) => void): Disposer {
    return this.#lost.on(listener);
  }

  /** Resolves once this candidate holds; rejects if it is lost, released or `signal` aborts. */
  waitUntilHolding(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#state.type === 'holding') return done(resolve);
        if (this.#state.type === 'lost') return done(() => reject(new NotLeaderError(this.#reason())));
        if (this.#state.type === 'released') return done(() => reject(new NotLeaderError('released while waiting')));
        if (signal?.aborted) return done(() => reject(signal.reason));
      };
      const done = (settle: () => void) => {
        stopChecking();
        signal?.removeEventListener('abort', check);
        settle();
      };
      const stopChecking = this.#changed.on(check);
      signal?.addEventListener('abort', check);
      check();
    });
  }

  /** A transaction that etcd applies only while this key still exists with its create revision. */
  async fencedTxn(request: TxnRequest): Promise<TxnResult> {
    if (!this.holding) throw new NotLeaderError(`not holding ${this.prefix}: ${this.#reason()}`);
    return this.store.txn({
      ...request,
      compare: [{ key: this.key, target: 'createRevision', op: '==', value: this.token }, ...request.compare],
    });
  }

  /** Leaves the queue: deletes the key (by revoking the lease) so the next candidate can hold. */
  async release(): Promise<void> {
    if (this.#state.type === 'released') return;
    const wasLost = this.#state.type === 'lost';
    this.#set({ type: 'released' }, 'released');
    await this.mirror.close();
    if (!wasLost) await this.keeper.revoke();
  }

  /** Steps down as leader: the same as release(). */
  resign(): Promise<void> {
    return this.release();
  }

  #evaluate(): void {
    if (this.#state.type === 'lost' || this.#state.type === 'released') return;
    if (!this.mirror.kvs.has(this.key)) return this.#lose('key deleted');
    const first = lowest(this.mirror.kvs);
    if (this.#state.type === 'waiting' && first?.key === this.key) {
      this.#set({ type: 'holding', token: this.token }, 'lowest create revision under the prefix');
    }
  }

  #lose(reason: string): void {
    if (this.#state.type === 'lost' || this.#state.type === 'released') return;
    this.#set({ type: 'lost', reason }, reason);
    void this.mirror.close();
    // Best effort: take the key away now rather than when the lease runs out on the server.
    void this.store.revokeLease(this.keeper.id).catch(() => {});
    this.keeper.release();
    this.#lost.emit(reason);
  }

  #reason(): string {
    return this.#state.type === 'lost' ? this.#state.reason : this.#state.type;
  }

  #set(state: CandidacyState, reason: string): void {
    this.#state = state;
    this.logger.info({ key: this.key, token: this.token, state: state.type, reason }, `candidacy ${state.type}`);
    this.#changed.emit();
  }
}

function lowest(kvs: ReadonlyMap<string, KeyValue>): KeyValue | undefined {
  let first: KeyValue | undefined;
  for (const kv of kvs.values()) if (!first || kv.createRevision < first.createRevision) first = kv;
  return first;
}
