import {
  Emitter,
  partLogger,
  realTimersOn,
  type Clock,
  type Disposer,
  type Logger,
  type Scheduler,
  type TimerHandle,
} from '@ballast/core';
import { LeaseNotFoundError } from './errors.js';
import type { KvStore } from './kv-store.js';

export type LeaseState =
  | { readonly type: 'alive'; readonly id: string; readonly safeUntil: number }
  | { readonly type: 'lost'; readonly id: string; readonly reason: string }
  | { readonly type: 'revoked'; readonly id: string };

export interface LeaseKeeperOptions {
  readonly ttlSeconds: number;
  /** Time and timers; a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
  /** Time alone, with real timers (kept for callers that inject only a clock). */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Declare the lease lost this long before it could have expired on the server. Default ttl/5, at least 250 ms. */
  readonly marginMs?: number;
}

/**
 * Holds a lease: renews it every ttl/3, and declares it lost when etcd says it is gone or when no
 * renewal has succeeded for long enough that the server might expire it — before it can have
 * expired there, so a leader steps down before anyone else can be elected.
 */
export class LeaseKeeper {
  #state: LeaseState;
  readonly #lost: Emitter<string>;
  #timer?: TimerHandle;
  #watchdog?: TimerHandle;

  private constructor(
    private readonly store: KvStore,
    readonly id: string,
    private readonly ttlMs: number,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
    private readonly marginMs: number,
    grantedAt: number,
  ) {
    this.#lost = new Emitter('lease lost', logger);
    this.#state = { type: 'alive', id, safeUntil: grantedAt + ttlMs - marginMs };
    this.#schedule();
  }

  static async grant(store: KvStore, options: LeaseKeeperOptions): Promise<LeaseKeeper> {
    const scheduler = options.scheduler ?? realTimersOn(options.clock);
    const ttlMs = options.ttlSeconds * 1000;
    const sentAt = scheduler.now();
    const id = await store.grantLease(options.ttlSeconds);
    const marginMs = options.marginMs ?? Math.max(250, ttlMs / 5);
    const logger = partLogger('config', 'lease', options.logger);
    return new LeaseKeeper(store, id, ttlMs, scheduler, logger, marginMs, sentAt);
  }

  get state(): LeaseState {
    return this.#state;
  }

  get alive(): boolean {
    return this.#state.type === 'alive' && this.scheduler.now() < this.#state.safeUntil;
  }

  /** Called once when the lease is lost (not on revoke). */
  onLost(listener: (reason: string) => void): Disposer {
    return this.#lost.on(listener);
  }

  async revoke(): Promise<void> {
    if (this.#state.type !== 'alive') return;
    this.#state = { type: 'revoked', id: this.id };
    this.#stop();
    this.logger.info({ lease: this.id }, 'lease revoked');
    await this.store.revokeLease(this.id).catch(() => {});
  }

  /** Stops renewing without revoking: the lease runs out on its own. */
  release(): void {
    if (this.#state.type === 'alive') this.#state = { type: 'revoked', id: this.id };
    this.#stop();
  }

  #schedule(): void {
    this.#timer = this.scheduler.setTimeout(() => void this.#renew(), Math.max(50, this.ttlMs / 3));
    this.#armWatchdog();
  }

  #armWatchdog(): void {
    if (this.#state.type !== 'alive') return;
    this.scheduler.clearTimeout(this.#watchdog);
    const wait = Math.max(0, this.#state.safeUntil - this.scheduler.now());
    this.#watchdog = this.scheduler.setTimeout(
      () => this.#lose('no successful keepalive before the safety deadline'),
      wait,
    );
  }

  async #renew(): Promise<void> {
    if (this.#state.type !== 'alive') return;
    const sentAt = this.scheduler.now();
    try {
      const ttlSeconds = await this.store.keepAliveOnce(this.id);
      if (this.#state.type !== 'alive') return;
      this.#state = { type: 'alive', id: this.id, safeUntil: sentAt + ttlSeconds * 1000 - this.marginMs };
      this.#armWatchdog();
      this.#timer = this.scheduler.setTimeout(() => void this.#renew(), Math.max(50, this.ttlMs / 3));
    } catch (err) {
      if (err instanceof LeaseNotFoundError) return this.#lose('etcd reports the lease expired');
      if (this.#state.type !== 'alive') return;
      this.logger.warn({ lease: this.id, reason: (err as Error).message }, 'keepalive failed; retrying');
      this.#timer = this.scheduler.setTimeout(() => void this.#renew(), Math.max(50, Math.min(500, this.ttlMs / 10)));
    }
  }

  #lose(reason: string): void {
    if (this.#state.type !== 'alive') return;
    this.#state = { type: 'lost', id: this.id, reason };
    this.#stop();
    this.logger.warn({ lease: this.id, reason }, 'lease lost');
    this.#lost.emit(reason);
  }

  #stop(): void {
    this.scheduler.clearTimeout(this.#timer);
    this.scheduler.clearTimeout(this.#watchdog);
  }
}
