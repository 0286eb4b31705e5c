import { realTimersOn, repeat, type Clock, type Disposer, type Scheduler } from '@ballast/core';
import { CompactedError, LeaseNotFoundError, StoreClosedError } from './errors.js';
import type {
  Compare,
  GetResult,
  KeyValue,
  KvStore,
  PutOptions,
  RangeResult,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
  WatchBatch,
  WatchEvent,
  WatchHandle,
  WatchHandlers,
  WatchTarget,
} from './kv-store.js';
import { checkValueSize } from './check-value-size.js';

export interface MemoryStoreOptions {
  /** Time and the background sweep's timer: leases expire on it. A VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
  /** Time alone, with real timers for the sweep (for callers that inject only a clock). */
  readonly clock?: Clock;
  /** How often leases are checked for expiry in the background; 0 = only on each call. Default 200. */
  readonly sweepIntervalMs?: number;
}

interface LeaseState {
  readonly ttlMs: number;
  expiresAt: number;
  readonly keys: Set<string>;
}

interface Watcher {
  readonly target: WatchTarget;
  readonly handlers: WatchHandlers;
  closed: boolean;
}

/**
 * The KvStore contract in one process: real revisions, history for watches from a revision,
 * leases that expire on the injected scheduler's time, transactions applied atomically.
 */
export class MemoryStore implements KvStore {
  readonly #scheduler: Scheduler;
  readonly #keys = new Map<string, KeyValue>();
  readonly #history: WatchBatch[] = [];
  readonly #leases = new Map<string, LeaseState>();
  readonly #watchers = new Set<Watcher>();
  readonly #stopSweep?: Disposer;
  #revision = 1;
  #compacted = 0;
  #nextLease = 1;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#scheduler = options.scheduler ?? realTimersOn(options.clock);
    const every = options.sweepIntervalMs ?? 200;
    if (every > 0) this.#stopSweep = repeat(this.#scheduler, every, () => this.expireLeases(), { unref: true });
  }

  /** The current store revision. */
  get revision(): number {
    return this.#revision;
  }

  async get(key: string): Promise<GetResult> {
    this.#begin();
    return { kv: this.#keys.get(key), revision: this.#revision };
  }

  async range(prefix: string): Promise<RangeResult> {
    this.#begin();
    const kvs = [...this.#keys.values()].filter((kv) => kv.key.startsWith(prefix));
    kvs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kvs, revision: this.#revision };
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<{ revision: number }> {
    const result = await this.txn({ compare: [], success: [{ type: 'put', key, value, lease: options.lease }] });
    return { revision: result.revision };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    const result = await this.txn({ compare: [], success: [{ type: 'delete', key }] });
    const first = result.results[0];
    return { revision: result.revision, deleted: first?.type === 'delete' ? first.deleted : 0 };
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    this.#begin();
    for (const op of [...request.success, ...(request.failure ?? [])]) {
      if (op.type === 'put') {
        checkValueSize(op.key, op.value);
        if (op.lease !== undefined && !this.#leases.has(op.lease)) throw new LeaseNotFoundError(op.lease);
      }
    }
    const succeeded = request.compare.every((c) => this.#holds(c));
    const ops = succeeded ? request.success : (request.failure ?? []);
    const writes = ops.some((op) => op.type !== 'get');
    const revision = writes ? this.#revision + 1 : this.#revision;
    const events: WatchEvent[] = [];
    const results = ops.map((op) => this.#apply(op, revision, events));
    if (events.length > 0) this.#commit({ revision, events });
    return { succeeded, revision: this.#revision, results };
  }

  async watch(target: WatchTarget, handlers: WatchHandlers): Promise<WatchHandle> {
    this.#begin();
    const watcher: Watcher = { target, handlers, closed: false };
    const from = target.fromRevision ?? this.#revision + 1;
    if (from <= this.#compacted) {
      const compactRevision = this.#compacted;
      queueMicrotask(() => handlers.onCompacted?.(compactRevision));
      return { close: async () => {} };
    }
    for (const batch of this.#history) {
      if (batch.revision >= from) this.#deliver(watcher, batch);
    }
    this.#watchers.add(watcher);
    return {
      close: async () => {
        watcher.closed = true;
        this.#watchers.delete(watcher);
      },
    };
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    this.#begin();
    const id = String(this.#nextLease++);
    const ttlMs = Math.max(1, ttlSeconds) * 1000;
    this.#leases.set(id, { ttlMs, expiresAt: this.#scheduler.now() + ttlMs, keys: new Set() });
    return id;
  }

  async keepAliveOnce(lease: string): Promise<number> {
    this.#begin();
    const state = this.#leases.get(lease);
    if (!state) throw new LeaseNotFoundError(lease);
    state.expiresAt = this.#scheduler.now() + state.ttlMs;
    return state.ttlMs / 1000;
  }

  async revokeLease(lease: string): Promise<void> {
    this.#begin();
    if (!this.#leases.has(lease)) throw new LeaseNotFoundError(lease);
    this.#dropLease(lease);
  }

  async compact(revision: number): Promise<void> {
    this.#begin();
    if (revision <= this.#compacted) throw new CompactedError(revision, this.#compacted);
    this.#compacted = Math.min(revision, this.#revision);
    while (this.#history.length > 0 && this.#history[0]!.revision <= this.#compacted) this.#history.shift();
  }

  /** Deletes the keys of every lease whose TTL has run out on the clock. Runs before every call. */
  expireLeases(): void {
    const now = this.#scheduler.now();
    for (const [id, state] of this.#leases) if (state.expiresAt <= now) this.#dropLease(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopSweep?.();
    this.#watchers.clear();
  }

  #begin(): void {
    if (this.#closed) throw new StoreClosedError();
    this.expireLeases();
  }

  #dropLease(id: string): void {
    const state = this.#leases.get(id);
    if (!state) return;
    this.#leases.delete(id);
    if (state.keys.size === 0) return;
    const revision = this.#revision + 1;
    const events: WatchEvent[] = [];
    for (const key of state.keys) this.#apply({ type: 'delete', key }, revision, events);
    this.#commit({ revision, events });
  }

  #holds(compare: Compare): boolean {
    const kv = this.#keys.get(compare.key);
    if (compare.target === 'value') {
      if (!kv) return false;
      return compare.op === '==' ? kv.value === compare.value : kv.value !== compare.value;
    }
    const actual = kv ? kv[compare.target] : 0;
    switch (compare.op) {
      case '==':
        return actual === compare.value;
      case '!=':
        return actual !== compare.value;
      case '<':
        return actual < compare.value;
      case '>':
        return actual > compare.value;
    }
  }

  #apply(op: TxnOp, revision: number, events: WatchEvent[]): TxnOpResult {
    const existing = this.#keys.get(op.key);
    if (op.type === 'get') return { type: 'get', kv: existing };
    if (existing?.lease) this.#leases.get(existing.lease)?.keys.delete(op.key);
    if (op.type === 'delete') {
      if (!existing) return { type: 'delete', deleted: 0 };
      this.#keys.delete(op.key);
      events.push({ type: 'delete', key: op.key, modRevision: revision });
      return { type: 'delete', deleted: 1 };
    }
    const kv: KeyValue = {
      key: op.key,
      value: op.value,
      version: (existing?.version ?? 0) + 1,
      createRevision: existing?.createRevision ?? revision,
      modRevision: revision,
      ...(op.lease !== undefined ? { lease: op.lease } : {}),
    };
    if (op.lease !== undefined) this.#leases.get(op.lease)!.keys.add(op.key);
    this.#keys.set(op.key, kv);
    events.push({ type: 'put', kv });
    return { type: 'put' };
  }

  #commit(batch: WatchBatch): void {
    this.#revision = batch.revision;
    this.#history.push(batch);
    for (const watcher of this.#watchers) this.#deliver(watcher, batch);
  }

  #deliver(watcher: Watcher, batch: WatchBatch): void {
    const { key, prefix } = watcher.target;
    const events = batch.events.filter((e) => {
      const k = e.type === 'put' ? e.kv.key : e.key;
      return prefix ? k.startsWith(key) : k === key;
    });
    if (events.length === 0) return;
    // Asynchronous like a network watch, and in order: microtasks run first-in first-out.
    queueMicrotask(() => {
      if (!watcher.closed) watcher.handlers.onEvents({ revision: batch.revision, events });
    });
  }
}
