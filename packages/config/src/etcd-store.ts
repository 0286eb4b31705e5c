import { partLogger, systemScheduler, type Logger, type Scheduler } from '@ballast/core';
import { circuitBreaker, ConsecutiveBreaker, handleWhen, isBrokenCircuitError } from 'cockatiel';
import { Etcd3, type IOptions, type IResponseOp } from 'etcd3';
import {
  isAuthError,
  isCompactedError,
  isTransientEtcdError,
  LeaseNotFoundError,
  mapEtcdError,
  StoreAuthError,
  StoreClosedError,
  StoreUnavailableError,
} from './errors.js';
import { prefixEnd, toCompare, toKeyValue, toRequestOp } from './etcd-mapping.js';
import { parseEtcdStoreOptions, type EtcdStoreConfig, type EtcdStoreOptions } from './etcd-options.js';
import { GuardedWatch } from './guarded-watch.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import type {
  GetResult,
  KvStore,
  PutOptions,
  RangeResult,
  TxnOpResult,
  TxnRequest,
  TxnResult,
  WatchHandle,
  WatchHandlers,
  WatchTarget,
} from './kv-store.js';
import { checkValueSize } from './check-value-size.js';

export type { EtcdStoreOptions };

/**
 * The KvStore contract on etcd (Raft) through the etcd3 client. Every non-stream call carries a
 * deadline (default 1 s) so a call to a dead member fails over in about 2 s instead of ≈ 7 s;
 * watches are GuardedWatch streams that resume from the last revision and replace silent streams.
 */
export class EtcdStore implements KvStore {
  readonly #client: Etcd3;
  readonly #watches = new Set<GuardedWatch>();
  readonly #scheduler: Scheduler;
  #closed = false;

  private constructor(
    readonly config: EtcdStoreConfig,
    private readonly logger: Logger,
  ) {
    this.#client = new Etcd3(clientOptions(config));
    this.#scheduler = config.scheduler ?? systemScheduler;
  }

  /**
   * Connects and waits until a member answers a linearizable read, retrying with backoff; after
   * `startupTimeoutMs` rejects with StoreUnavailableError naming the endpoints.
   */
  static async connect(options: EtcdStoreOptions, parent?: Logger): Promise<EtcdStore> {
    const logger = partLogger('config', 'etcd', parent);
    const store = new EtcdStore(parseEtcdStoreOptions(options), logger);
    const { endpoints, startupTimeoutMs } = store.config;
    const scheduler = store.#scheduler;
    const started = scheduler.now();
    const backoff = new ReconnectBackoff();
    // The member breaker's "circuit is open" hides why the member failed; report that instead.
    let cause: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        await store.get('\0');
        if (attempt > 1) logger.info({ endpoints, attempt }, 'etcd reachable');
        return store;
      } catch (err) {
        if (!isBrokenCircuitError(err) || cause === undefined) cause = err;
        const reason = (err as Error).message;
        if (isAuthError(err)) {
          await store.close();
          throw new StoreAuthError(endpoints, reason);
        }
        const waited = Math.round(scheduler.now() - started);
        const delay = backoff.next();
        if (waited + delay > startupTimeoutMs) {
          await store.close();
          throw new StoreUnavailableError(endpoints, waited, cause);
        }
        logger.warn(
          { endpoints, attempt, retryInMs: delay, reason: (err as Error).message },
          'etcd unreachable; retrying',
        );
        await scheduler.sleep(delay);
      }
    }
  }

  async get(key: string): Promise<GetResult> {
    const res = await this.#call(() => this.#client.kv.range({ key: Buffer.from(key) }));
    const kv = res.kvs[0];
    return { kv: kv ? toKeyValue(kv) : undefined, revision: Number(res.header.revision) };
  }

  async range(prefix: string): Promise<RangeResult> {
    const res = await this.#call(() =>
      this.#client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), sort_target: 'Key' }),
    );
    return { kvs: res.kvs.map(toKeyValue), revision: Number(res.header.revision) };
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<{ revision: number }> {
    checkValueSize(key, value, this.config.maxRequestBytes);
    const request = { key: Buffer.from(key), value: Buffer.from(value), lease: options.lease ?? 0 };
    const res = await this.#call(() => this.#client.kv.put(request), { lease: options.lease });
    return { revision: Number(res.header.revision) };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    const res = await this.#call(() => this.#client.kv.deleteRange({ key: Buffer.from(key) }));
    return { revision: Number(res.header.revision), deleted: Number(res.deleted) };
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    let lease: string | undefined;
    for (const op of [...request.success, ...(request.failure ?? [])]) {
      if (op.type === 'put') {
        checkValueSize(op.key, op.value, this.config.maxRequestBytes);
        lease = op.lease ?? lease;
      }
    }
    const res = await this.#call(
      () =>
        this.#client.kv.txn({
          compare: request.compare.map(toCompare),
          success: request.success.map(toRequestOp),
          failure: (request.failure ?? []).map(toRequestOp),
        }),
      { lease },
    );
    const results = (res.responses as IResponseOp[]).map((op): TxnOpResult => {
      if (op.response_range) {
        const kv = op.response_range.kvs[0];
        return { type: 'get', kv: kv ? toKeyValue(kv) : undefined };
      }
      if (op.response_delete_range) return { type: 'delete', deleted: Number(op.response_delete_range.deleted) };
      return { type: 'put' };
    });
    return { succeeded: res.succeeded, revision: Number(res.header.revision), results };
  }

  async watch(target: WatchTarget, handlers: WatchHandlers): Promise<WatchHandle> {
    this.#open();
    const from = target.fromRevision ?? (await this.get('\0')).revision + 1;
    const watch = new GuardedWatch(
      target,
      handlers,
      {
        // A private subchannel pool: grpc-js otherwise shares one TCP connection between clients, and
        // a replacement stream would go down the same silent connection.
        newClient: () =>
          new Etcd3({ ...clientOptions(this.config), grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } }),
        changedSince: (t, rev) => this.#changedSince(t, rev),
        isCompacted: (rev) => this.#isCompacted(target, rev),
        checkIntervalMs: this.config.watchCheckIntervalMs,
        logger: this.logger,
        scheduler: this.#scheduler,
      },
      from,
    );
    await watch.start(Math.max(this.config.startupTimeoutMs, 5 * this.config.callTimeoutMs));
    this.#watches.add(watch);
    return {
      close: async () => {
        this.#watches.delete(watch);
        await watch.close();
      },
    };
  }

  /** Times any watch replaced a silent stream (for tests and metrics). */
  get watchRestarts(): number {
    let total = 0;
    for (const watch of this.#watches) total += watch.restarts;
    return total;
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.#call(() => this.#client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }));
    return String(res.ID);
  }

  async keepAliveOnce(lease: string): Promise<number> {
    this.#open();
    const stream = await this.#client.leaseClient.leaseKeepAlive();
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        const timer = this.#scheduler.setTimeout(
          () => reject(new Error(`keepalive of lease ${lease} got no answer in ${this.config.callTimeoutMs} ms`)),
          this.config.callTimeoutMs,
        );
        stream.on('data', (data: { TTL: string }) => {
          this.#scheduler.clearTimeout(timer);
          resolve(data);
        });
        stream.on('error', (err: Error) => {
          this.#scheduler.clearTimeout(timer);
          reject(mapEtcdError(err, { lease }));
        });
        stream.write({ ID: lease });
      });
      const ttl = Number(res.TTL);
      if (ttl <= 0) throw new LeaseNotFoundError(lease);
      return ttl;
    } finally {
      stream.end();
    }
  }

  async revokeLease(lease: string): Promise<void> {
    await this.#call(() => this.#client.leaseClient.leaseRevoke({ ID: lease }), { lease });
  }

  async compact(revision: number): Promise<void> {
    await this.#call(() => this.#client.kv.compact({ revision, physical: true }), { revision });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#watches].map((w) => w.close()));
    this.#watches.clear();
    this.#client.close();
  }

  async #changedSince(target: WatchTarget, from: number): Promise<number[]> {
    const key = Buffer.from(target.key);
    const res = await this.#client.kv.range({
      key,
      ...(target.prefix ? { range_end: prefixEnd(target.key) } : {}),
      keys_only: true,
      min_mod_revision: from,
    });
    return res.kvs.map((kv) => Number(kv.mod_revision));
  }

  async #isCompacted(target: WatchTarget, revision: number): Promise<boolean> {
    try {
      await this.#client.kv.range({ key: Buffer.from(target.key), revision, keys_only: true, limit: 1 });
      return false;
    } catch (err) {
      return isCompactedError(err);
    }
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  async #call<T>(fn: () => Promise<T>, context: { lease?: string; revision?: number } = {}): Promise<T> {
    this.#open();
    try {
      return await fn();
    } catch (err) {
      throw mapEtcdError(err, context);
    }
  }
}

function clientOptions(config: EtcdStoreConfig): IOptions {
  const toBuffer = (pem: string | Buffer) => (typeof pem === 'string' ? Buffer.from(pem) : pem);
  return {
    hosts: [...config.endpoints],
    ...(config.auth ? { auth: { ...config.auth } } : {}),
    ...(config.tls
      ? {
          credentials: {
            rootCertificate: toBuffer(config.tls.ca),
            ...(config.tls.key ? { privateKey: toBuffer(config.tls.key) } : {}),
            ...(config.tls.cert ? { certChain: toBuffer(config.tls.cert) } : {}),
          },
        }
      : {}),
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isTransientEtcdError), {
          halfOpenAfter: config.memberRetryMs,
          breaker: new ConsecutiveBreaker(3),
        }),
    },
    // A gRPC deadline is a wall-clock instant that grpc-js enforces on its own timers, so it is
    // taken from Date.now(), not from the scheduler.
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: new Date(Date.now() + config.callTimeoutMs) },
  };
}
