import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  Emitter,
  EndpointPublisher,
  partLogger,
  realTimersOn,
  type Disposer,
  type Endpoint,
  type EndpointSource,
  type Logger,
  type Scheduler,
  type TimerHandle,
} from '@ballast/core';
import { Counter, register as defaultRegistry, type Registry } from 'prom-client';
import { parseDnsSourceOptions, type DnsResolver, type DnsSourceOptions } from './dns-source-options.js';
import { joinHostPort, parseDnsTarget, type DnsTarget } from './dns-target.js';

/** What one resolution ended with, as `onResolution` tells it. */
export type DnsResolution =
  | { readonly type: 'answered'; readonly endpoints: readonly Endpoint[]; readonly ttlMs: number | undefined }
  | { readonly type: 'failed'; readonly error: Error; readonly kept: readonly Endpoint[] };

type FailureCounter = Counter<'target'>;
const counters = new WeakMap<Registry, FailureCounter>();

function failureCounter(registry: Registry): FailureCounter {
  let counter = counters.get(registry);
  if (!counter) {
    const name = 'ballast_dns_resolution_failures_total';
    counter =
      (registry.getSingleMetric(name) as FailureCounter | undefined) ??
      new Counter({
        name,
        help: 'DNS resolutions that failed; the last good answer was kept.',
        labelNames: ['target'],
        registers: [registry],
      });
    counters.set(registry, counter);
  }
  return counter;
}

/**
 * The addresses a `dns:` target resolves to, as an EndpointSource: A and AAAA records (or the
 * targets of SRV records, with their ports), re-resolved every `intervalMs`, when the answer's
 * TTL runs out, and when `refresh()` says a connection failed — never more often than
 * `minIntervalMs`. A failed resolution keeps the last good answer (logged, counted, and retried
 * sooner), as gRPC's own DNS resolver does: a resolver outage must not empty the endpoint set.
 * Each address is an endpoint whose id is its address.
 */
export class DnsSource implements EndpointSource {
  readonly target: DnsTarget;
  readonly #text: string;
  readonly #publisher = new EndpointPublisher();
  readonly #resultListeners: Emitter<DnsResolution>;
  readonly #resolver: DnsResolver;
  readonly #intervalMs: number;
  readonly #minIntervalMs: number;
  readonly #scheduler: Scheduler;
  readonly #logger: Logger;
  readonly #failures: FailureCounter;
  #ready = false;
  #closed = false;
  #resolving = false;
  #again = false;
  #failedInARow = 0;
  #lastStart = -Infinity;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  constructor(target: string, options: DnsSourceOptions = {}) {
    this.#text = target;
    this.target = parseDnsTarget(target);
    const o = parseDnsSourceOptions(options);
    this.#intervalMs = o.intervalMs;
    this.#minIntervalMs = Math.min(o.minIntervalMs, o.intervalMs);
    this.#scheduler = o.scheduler ?? realTimersOn(o.clock);
    this.#logger = partLogger('config', 'dns', o.logger).child({ target });
    this.#resultListeners = new Emitter('DNS resolution', this.#logger);
    this.#failures = failureCounter(o.registry ?? defaultRegistry);
    this.#resolver = o.resolver ?? defaultResolver(this.target.server, o.servers);
    this.#resolve('first resolution');
  }

  /** Whether the first answer has arrived. */
  get ready(): boolean {
    return this.#ready;
  }

  current(): readonly Endpoint[] {
    return this.#publisher.current();
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    return this.#publisher.subscribe(listener);
  }

  /** Hears every resolution's result, answered or failed. */
  onResolution(listener: (result: DnsResolution) => void): Disposer {
    return this.#resultListeners.on(listener);
  }

  /**
   * Resolves again soon: at once unless the last resolution started less than `minIntervalMs`
   * ago. Call it when a connection to one of the addresses fails: the pod may have moved.
   */
  refresh(reason: string): void {
    if (this.#closed) return;
    if (this.#resolving) {
      this.#again = true;
      return;
    }
    const wait = this.#lastStart + this.#minIntervalMs - this.#scheduler.now();
    if (wait <= 0) this.#resolve(reason);
    else this.#schedule(wait, reason);
  }

  close(): void {
    this.#closed = true;
    this.#cancelTimer();
    // A query still waiting on a dead DNS server would hold the process open until it times out.
    if (this.#resolver instanceof Resolver) this.#resolver.cancel();
    this.#publisher.clear();
    this.#resultListeners.clear();
  }

  #schedule(ms: number, reason: string): void {
    const at = this.#scheduler.now() + ms;
    if (at >= this.#timerAt) return;
    this.#cancelTimer();
    this.#timerAt = at;
    // The source's timer alone never keeps a process alive.
    this.#timer = this.#scheduler.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.#resolve(reason);
      },
      ms,
      { unref: true },
    );
  }

  #cancelTimer(): void {
    this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #resolve(reason: string): void {
    if (this.#closed) return;
    this.#cancelTimer();
    this.#resolving = true;
    this.#again = false;
    this.#lastStart = this.#scheduler.now();
    this.#lookup().then(
      (answer) => this.#answered(answer.endpoints, answer.ttlMs, reason),
      (error: unknown) => this.#failed(error instanceof Error ? error : new Error(String(error)), reason),
    );
  }

  #answered(endpoints: readonly Endpoint[], ttlMs: number | undefined, reason: string): void {
    this.#resolving = false;
    if (this.#closed) return;
    if (this.#failedInARow > 0) this.#logger.info({ failures: this.#failedInARow }, 'DNS resolution works again');
    this.#failedInARow = 0;
    this.#ready = true;
    const previous = this.#publisher.current();
    if (!sameEndpoints(previous, endpoints)) {
      const before = new Set(previous.map((e) => e.id));
      const after = new Set(endpoints.map((e) => e.id));
      this.#logger.info(
        {
          reason,
          added: [...after].filter((id) => !before.has(id)),
          removed: [...before].filter((id) => !after.has(id)),
        },
        'DNS answer changed the endpoints',
      );
      this.#publisher.publish(endpoints);
    }
    this.#emit({ type: 'answered', endpoints, ttlMs });
    if (this.target.type === 'address' && isIP(this.target.host)) return; // a literal never changes
    const next = ttlMs === undefined ? this.#intervalMs : clamp(ttlMs, this.#minIntervalMs, this.#intervalMs);
    this.#schedule(this.#again ? this.#minIntervalMs : next, ttlMs === undefined ? 'interval' : 'TTL expired');
  }

  #failed(error: Error, reason: string): void {
    this.#resolving = false;
    if (this.#closed) return;
    this.#failedInARow++;
    this.#failures.inc({ target: this.#text });
    const kept = this.#publisher.current();
    const log = { err: error, reason, failures: this.#failedInARow, kept: kept.length };
    // Said loudly once per outage; later failures of the same outage at debug.
    if (this.#failedInARow === 1) this.#logger.warn(log, 'DNS resolution failed; keeping the last good answer');
    else this.#logger.debug(log, 'DNS resolution failed again');
    this.#emit({ type: 'failed', error, kept });
    // Retry sooner than the interval, backing off from minIntervalMs.
    const backoff = this.#minIntervalMs * 2 ** Math.min(this.#failedInARow - 1, 10);
    this.#schedule(Math.min(backoff, this.#intervalMs), 'retry after failure');
  }

  #emit(result: DnsResolution): void {
    this.#resultListeners.emit(result);
  }

  async #lookup(): Promise<{ endpoints: Endpoint[]; ttlMs: number | undefined }> {
    const target = this.target;
    if (target.type === 'address') {
      const { addresses, ttlMs } = await this.#addresses(target.host);
      return { endpoints: toEndpoints(addresses.map((a) => joinHostPort(a, target.port))), ttlMs };
    }
    const records = await this.#resolver.resolveSrv(target.name);
    if (records.length === 0) throw new Error(`no SRV records for ${target.name}`);
    // The lowest priority value is the preferred group; the others are fallbacks for clients
    // that cannot reach it, which the balancer's health checks already handle among the first.
    const best = Math.min(...records.map((r) => r.priority));
    const chosen = records.filter((r) => r.priority === best);
    const resolved = await Promise.all(chosen.map(async (r) => ({ r, ...(await this.#addresses(r.name)) })));
    const endpoints = new Map<string, Endpoint>();
    for (const { r, addresses } of resolved) {
      for (const address of addresses) {
        const hostPort = joinHostPort(address, r.port);
        endpoints.set(hostPort, { id: hostPort, address: hostPort, weight: r.weight > 0 ? r.weight : 1 });
      }
    }
    const ttls = resolved.map((x) => x.ttlMs).filter((t): t is number => t !== undefined);
    return { endpoints: sortEndpoints([...endpoints.values()]), ttlMs: ttls.length ? Math.min(...ttls) : undefined };
  }

  /** A and AAAA records of `host`; fails only when neither lookup found any. */
  async #addresses(host: string): Promise<{ addresses: string[]; ttlMs: number | undefined }> {
    if (isIP(host)) return { addresses: [host], ttlMs: undefined };
    const [v4, v6] = await Promise.allSettled([
      this.#resolver.resolve4(host, { ttl: true }),
      this.#resolver.resolve6(host, { ttl: true }),
    ]);
    const records = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (records.length === 0) {
      const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      // A "no such record" answer for one family says nothing; the other error is the news.
      const telling = errors.find((e) => (e as NodeJS.ErrnoException).code !== 'ENODATA') ?? errors[0];
      throw telling ?? new Error(`no A or AAAA records for ${host}`);
    }
    return { addresses: records.map((r) => r.address), ttlMs: Math.min(...records.map((r) => r.ttl)) * 1000 };
  }
}

function defaultResolver(server: string | undefined, servers: readonly string[] | undefined): DnsResolver {
  // Each lookup gives up after 1 s x 2 tries: a dead DNS server then costs one slow resolution,
  // and the last good answer stays meanwhile.
  const resolver = new Resolver({ timeout: 1_000, tries: 2 });
  const chosen = server !== undefined ? [server] : servers;
  if (chosen?.length) resolver.setServers([...chosen]);
  return resolver;
}

function toEndpoints(addresses: string[]): Endpoint[] {
  return sortEndpoints([...new Set(addresses)].map((address) => ({ id: address, address })));
}

function sortEndpoints(endpoints: Endpoint[]): Endpoint[] {
  return endpoints.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e.id === b[i]!.id && e.weight === b[i]!.weight);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
