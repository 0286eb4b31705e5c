import {
  createLogger,
  EndpointPublisher,
  type Disposer,
  type Endpoint,
  type EndpointSource,
  type Logger,
} from '@ballast/core';
import { InvalidOptionError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { Mirror } from './mirror.js';
import { DEFAULT_REGISTRY_ROOT, isValidName, parseRegistryEntry, servicePrefix } from './registry-entry.js';

export interface DiscoverOptions {
  /** Registry root; default /ballast/services/. */
  readonly root?: string;
  readonly logger?: Logger;
}

/**
 * The live instances of one service, as an EndpointSource for the balancer. It mirrors the
 * service's prefix (read, then watch from that revision); garbage entries are skipped with a warning.
 */
export class RegistrySource implements EndpointSource {
  readonly #publisher = new EndpointPublisher();
  readonly #warned = new Set<string>();

  private constructor(
    readonly service: string,
    private readonly mirror: Mirror,
    private readonly logger: Logger,
  ) {
    this.#rebuild();
    mirror.onChange(() => this.#rebuild());
  }

  static async start(store: KvStore, service: string, options: DiscoverOptions = {}): Promise<RegistrySource> {
    if (!isValidName(service)) {
      throw new InvalidOptionError('service', `"${service}" is not a service name (letters, digits, . _ -)`);
    }
    const logger = options.logger ?? createLogger('ballast.config.registry');
    const prefix = servicePrefix(options.root ?? DEFAULT_REGISTRY_ROOT, service);
    const mirror = await Mirror.start(store, prefix, { prefix: true, logger });
    return new RegistrySource(service, mirror, logger);
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
    const endpoints: Endpoint[] = [];
    for (const kv of this.mirror.kvs.values()) {
      const parsed = parseRegistryEntry(kv.key, kv.value);
      if (parsed.ok) {
        endpoints.push(parsed.endpoint);
        continue;
      }
      const seen = `${kv.key}@${kv.modRevision}`;
      if (!this.#warned.has(seen)) {
        this.#warned.add(seen);
        this.logger.warn({ service: this.service, key: kv.key, reason: parsed.reason }, 'registry entry skipped');
      }
    }
    endpoints.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
