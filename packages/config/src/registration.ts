import {
  Emitter,
  parseOptions,
  partLogger,
  systemScheduler,
  type Disposer,
  type Logger,
  type Scheduler,
} from '@ballast/core';
import { z } from 'zod';
import { invalidConfigOption } from './errors.js';
import type { KvStore } from './kv-store.js';
import { LeaseKeeper } from './lease-keeper.js';
import { Mirror } from './mirror.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { DEFAULT_REGISTRY_ROOT, RegistryEntrySchema, isValidName, registryKey } from './registry-entry.js';

const InstanceSchema = RegistryEntrySchema.extend({
  service: z.string().refine(isValidName, 'letters, digits, . _ - only'),
  id: z.string().refine(isValidName, 'letters, digits, . _ - only'),
  address: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port'),
}).strict();

export type ServiceInstance = z.input<typeof InstanceSchema>;

export interface RegisterOptions {
  /** Lease TTL: how long a dead instance stays listed. Default 10 s. */
  readonly ttlSeconds?: number;
  readonly root?: string;
  readonly logger?: Logger;
  /** Time and timers of the lease, its renewals and the waits between re-registrations; a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
}

export type RegistrationState =
  | { readonly type: 'registered'; readonly lease: string; readonly revision: number }
  | { readonly type: 'lost'; readonly reason: string }
  | { readonly type: 'closed' };

/**
 * One instance listed in the registry under a kept-alive lease. Lease loss (etcd restart,
 * partition, long pause) or a deleted key is detected and the entry re-created; deregister() on shutdown.
 */
export class Registration {
  #state: RegistrationState = { type: 'lost', reason: 'not registered yet' };
  #keeper?: LeaseKeeper;
  #mirror?: Mirror;
  #repairing = false;
  /** Ends a re-registration backoff that is under way on deregister(). */
  readonly #closing = new AbortController();
  readonly #listeners: Emitter<RegistrationState>;
  private readonly logger: Logger;

  private constructor(
    private readonly store: KvStore,
    readonly key: string,
    private readonly value: string,
    private readonly ttlSeconds: number,
    /** The caller's logger: the parent of this registration's parts (its lease, its mirror). */
    private readonly parentLogger: Logger | undefined,
    private readonly scheduler: Scheduler,
  ) {
    this.logger = partLogger('config', 'registry', parentLogger);
    this.#listeners = new Emitter('registration state', this.logger);
  }

  static async register(
    store: KvStore,
    instance: ServiceInstance,
    options: RegisterOptions = {},
  ): Promise<Registration> {
    const parsed = parseOptions(InstanceSchema, instance, 'register', { error: invalidConfigOption });
    const { service, ...entry } = parsed;
    const key = registryKey(options.root ?? DEFAULT_REGISTRY_ROOT, service, entry.id);
    const scheduler = options.scheduler ?? systemScheduler;
    const value = JSON.stringify(entry);
    const registration = new Registration(store, key, value, options.ttlSeconds ?? 10, options.logger, scheduler);
    await registration.#establish();
    registration.#mirror = await Mirror.start(store, key, { prefix: false, logger: options.logger, scheduler });
    registration.#mirror.onChange(() => {
      if (!registration.#mirror?.kvs.has(key) && registration.#state.type === 'registered') {
        void registration.#repair('entry deleted while the lease was alive');
      }
    });
    return registration;
  }

  get state(): RegistrationState {
    return this.#state;
  }

  onStateChange(listener: (state: RegistrationState) => void): Disposer {
    return this.#listeners.on(listener);
  }

  /** Removes the entry (revokes its lease) and stops keeping it alive. */
  async deregister(): Promise<void> {
    if (this.#state.type === 'closed') return;
    this.#set({ type: 'closed' });
    this.#closing.abort();
    await this.#mirror?.close();
    await this.#keeper?.revoke();
  }

  async #establish(): Promise<void> {
    const keeper = await LeaseKeeper.grant(this.store, {
      ttlSeconds: this.ttlSeconds,
      logger: this.parentLogger,
      scheduler: this.scheduler,
    });
    try {
      const { revision } = await this.store.put(this.key, this.value, { lease: keeper.id });
      if (this.#state.type === 'closed') {
        await keeper.revoke();
        return;
      }
      this.#keeper = keeper;
      keeper.onLost((reason) => void this.#repair(`lease lost: ${reason}`));
      this.#set({ type: 'registered', lease: keeper.id, revision });
    } catch (err) {
      keeper.release();
      throw err;
    }
  }

  async #repair(reason: string): Promise<void> {
    if (this.#repairing || this.#state.type === 'closed') return;
    this.#repairing = true;
    this.#set({ type: 'lost', reason });
    const old = this.#keeper;
    this.#keeper = undefined;
    void old?.revoke();
    const backoff = new ReconnectBackoff();
    while (!this.#isClosed()) {
      try {
        await this.#establish();
        break;
      } catch (err) {
        const delay = backoff.next();
        this.logger.warn({ key: this.key, reason: (err as Error).message, retryInMs: delay }, 're-register failed');
        // Rejects only on deregister(), which ends the loop.
        await this.scheduler.sleep(delay, this.#closing.signal).catch(() => {});
      }
    }
    this.#repairing = false;
  }

  #isClosed(): boolean {
    return this.#state.type === 'closed';
  }

  #set(state: RegistrationState): void {
    this.#state = state;
    this.logger.info({ key: this.key, ...state }, `registration ${state.type}`);
    this.#listeners.emit(state);
  }
}

/** register(store, { service, id, address }) → a Registration kept alive until deregister(). */
export function register(
  store: KvStore,
  instance: ServiceInstance,
  options: RegisterOptions = {},
): Promise<Registration> {
  return Registration.register(store, instance, options);
}
