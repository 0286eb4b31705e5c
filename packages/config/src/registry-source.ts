import {
  EndpointPublisher,
  partLogger,
  type Disposer,
  type Endpoint,
  type EndpointSource,
  type Logger,
  type Scheduler,
} from '@ballast/core';
import { Counter, register as defaultRegistry, type Registry } from 'prom-client';
import { InvalidOptionError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { Mirror } from './mirror.js';
import { DEFAULT_REGISTRY_ROOT, isValidName, servicePrefix } from './registry-entry.js';
import { selectRegistryEntries } from './registry-selection.js';

export interface DiscoverOptions {
  /** Registry root; default /ballast/services/. */
  readonly root?: string;
  readonly logger?: Logger;
  /** Where ballast_registry_rejected_entries_total is registered; default prom-client's global registry. */
  readonly registry?: Registry;
  /** Where the mirror waits between re-reads after compaction; default real time. */
  readonly scheduler?: Scheduler;
}

type RejectedCounter = Counter<'service' | 'reason'>;
const counters = new WeakMap<Registry, RejectedCounter>();

function rejectedCounter(registry: Registry): RejectedCounter {
  let counter = counters.get(registry);
  if (!counter) {
    const existing = registry.getSingleMetric('ballast_registry_rejected_entries_total') as RejectedCounter | undefined;
    counter =
      existing ??
      new Counter({
        name: 'ballast_registry_rejected_entries_total',
        help: 'Registry entries discovery left out (malformed, wrong-key, bad-endpoint, duplicate-id), once per entry revision.',
        labelNames: ['service', 'reason'],
        registers: [registry],
      });
    counters.set(registry, counter);
  }
  return counter;
}

/**
 * The live instances of one service, as an EndpointSource for the balancer. It mirrors the
 * service's prefix (read, then watch from that revision). Garbage and duplicate entries are left
 * out (see selectRegistryEntries), each logged and counted once per revision of its key, so what it
 * publishes is always a list the balancer accepts.
 */
export class RegistrySource implements EndpointSource {
  readonly #publisher = new EndpointPublisher();
  /** Rejected key → the mod revision already reported, so one bad entry is reported once. */
  readonly #reported = new Map<string, number>();

  private constructor(
    readonly service: string,
    private readonly prefix: string,
    private readonly mirror: Mirror,
    private readonly logger: Logger,
    private readonly rejected: RejectedCounter,
  ) {
    this.#rebuild();
    mirror.onChange(() => this.#rebuild());
  }

  static async start(store: KvStore, service: string, options: DiscoverOptions = {}): Promise<RegistrySource> {
    if (!isValidName(service)) {
      throw new InvalidOptionError('service', `"${service}" is not a service name (letters, digits, . _ -)`);
    }
    const logger = partLogger('config', 'registry', options.logger);
    const prefix = servicePrefix(options.root ?? DEFAULT_REGISTRY_ROOT, service);
    const mirror = await Mirror.start(store, prefix, {
      prefix: true,
      logger: options.logger,
      scheduler: options.scheduler,
    });
    const rejected = rejectedCounter(options.registry ?? defaultRegistry);
    return new RegistrySource(service, prefix, mirror, logger, rejected);
  }

  current(): readonly Endpoint[] {
    return this.#publisher.current();
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    return this.#publisher.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#publisher.clear();
    await this.mirror.close();
  }

  #rebuild(): void {
    const { endpoints, rejected } = selectRegistryEntries(this.prefix, this.mirror.kvs.values());
    const stillRejected = new Set<string>();
    for (const entry of rejected) {
      stillRejected.add(entry.key);
      if (this.#reported.get(entry.key) === entry.modRevision) continue;
      this.#reported.set(entry.key, entry.modRevision);
      this.rejected.inc({ service: this.service, reason: entry.reason });
      this.logger.warn(
        { service: this.service, key: entry.key, reason: entry.reason, detail: entry.detail },
        'registry entry skipped',
      );
    }
    for (const key of this.#reported.keys()) if (!stillRejected.has(key)) this.#reported.delete(key);
    const previous = this.#publisher.current();
    if (JSON.stringify(endpoints) === JSON.stringify(previous)) return;
    const before = new Set(previous.map((e) => e.id));
    const after = new Set(endpoints.map((e) => e.id));
    this.logger.info(
      {
        service: this.service,
        added: [...after].filter((id) => !before.has(id)),
        removed: [...before].filter((id) => !after.has(id)),
        revision: this.mirror.revision,
      },
      'endpoints changed',
    );
    this.#publisher.publish(endpoints);
  }
}

/** discover(store, 'catalog') → an EndpointSource that follows the registry. */
export function discover(store: KvStore, service: string, options: DiscoverOptions = {}): Promise<RegistrySource> {
  return RegistrySource.start(store, service, options);
}
