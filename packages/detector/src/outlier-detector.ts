import { classify, type Random, type Signal } from '@ballast/core';

// What nearly every call's outcome produces; shared so recording one allocates nothing.
const NO_EVENTS: readonly OutlierEvent[] = Object.freeze([]);

/**
 * Passive outlier detection with the semantics of Envoy's and gRPC's (gRFC A50): consecutive
 * gateway failures eject at once; success-rate and failure-percentage are judged every interval
 * over the calls of that interval. Ejection lasts baseEjectionTime × (times ejected), capped at
 * maxEjectionTime; the multiplier decays by one for every interval spent healthy. Pure: the
 * caller passes the time and feeds the outcomes.
 */
export interface OutlierDetectionOptions {
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  /** No ejection takes the ejected share above this percentage, though one is always allowed (Envoy). */
  readonly maxEjectionPercent: number;
  /** gRPC status codes that count as a failure of the endpoint; others count as success. */
  readonly failureCodes: readonly number[];
  readonly consecutiveGatewayFailure: false | { readonly threshold: number; readonly enforcementPercentage: number };
  readonly successRateEjection:
    | false
    | {
        /** In thousandths, as Envoy and gRPC: 1900 means mean − 1.9 × stddev. */
        readonly stdevFactor: number;
        readonly enforcementPercentage: number;
        readonly minimumHosts: number;
        readonly requestVolume: number;
      };
  readonly failurePercentageEjection:
    | false
    | {
        readonly threshold: number;
        readonly enforcementPercentage: number;
        readonly minimumHosts: number;
        readonly requestVolume: number;
      };
}

export type EjectionReason = 'consecutive-gateway-failure' | 'success-rate' | 'failure-percentage';

export type OutlierEvent =
  | {
      readonly type: 'ejected';
      readonly endpointId: string;
      readonly reason: EjectionReason;
      readonly until: number;
      readonly ejections: number;
    }
  | { readonly type: 'unejected'; readonly endpointId: string; readonly ejectedMs: number };

export interface Ejection {
  readonly reason: EjectionReason;
  readonly since: number;
  readonly until: number;
  /** Times ejected without a full recovery in between (the ejection-time multiplier). */
  readonly ejections: number;
}

interface Counters {
  successes: number;
  failures: number;
  consecutiveFailures: number;
  multiplier: number;
  ejection: Ejection | undefined;
}

export class OutlierDetector {
  readonly #options: OutlierDetectionOptions;
  readonly #random: Random;
  readonly #hosts = new Map<string, Counters>();
  readonly #failureCodes: ReadonlySet<number>;

  constructor(options: OutlierDetectionOptions, random: Random) {
    this.#options = options;
    this.#random = random;
    this.#failureCodes = new Set(options.failureCodes);
  }

  /** Tracks exactly these endpoints; state of removed ones is forgotten. */
  setEndpoints(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.#hosts.keys()) if (!keep.has(id)) this.#hosts.delete(id);
    for (const id of keep) if (!this.#hosts.has(id)) this.#hosts.set(id, fresh());
  }

  ejection(id: string): Ejection | undefined {
    return this.#hosts.get(id)?.ejection;
  }

  /**
   * One call outcome; may eject at once on consecutive gateway failures. Unknown ids are ignored,
   * and so are outcomes that say nothing about the endpoint's health: a cancelled attempt, and a
   * shedding server's refusal (`signal` from @ballast/core's `classify`).
   */
  record(id: string, code: number, now: number, signal?: Signal): readonly OutlierEvent[] {
    const host = this.#hosts.get(id);
    if (!host) return NO_EVENTS;
    const s = signal ?? classify(code);
    if (s === 'cancelled' || s === 'endpoint-overloaded') return NO_EVENTS;
    if (!this.#failureCodes.has(code)) {
      host.successes++;
      host.consecutiveFailures = 0;
      return NO_EVENTS;
    }
    host.failures++;
    host.consecutiveFailures++;
    const rule = this.#options.consecutiveGatewayFailure;
    if (!rule || host.ejection || host.consecutiveFailures < rule.threshold) return NO_EVENTS;
    host.consecutiveFailures = 0;
    const event = this.#tryEject(id, host, 'consecutive-gateway-failure', rule.enforcementPercentage, now);
    return event ? [event] : [];
  }

  /** The interval timer: judge the interval's calls, uneject those whose time is up, start a new interval. */
  sweep(now: number): OutlierEvent[] {
    const events: OutlierEvent[] = [];
    const success = this.#options.successRateEjection;
    if (success) {
      const candidates = this.#withVolume(success.requestVolume);
      if (candidates.length >= success.minimumHosts) {
        const rates = candidates.map(([, h]) => h.successes / (h.successes + h.failures));
        const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
        const stdev = Math.sqrt(rates.reduce((a, r) => a + (r - mean) ** 2, 0) / rates.length);
        const threshold = mean - stdev * (success.stdevFactor / 1000);
        candidates.forEach(([id, host], i) => {
          if (rates[i]! >= threshold) return;
          const event = this.#tryEject(id, host, 'success-rate', success.enforcementPercentage, now);
          if (event) events.push(event);
        });
      }
    }
    const failure = this.#options.failurePercentageEjection;
    if (failure) {
      const candidates = this.#withVolume(failure.requestVolume);
      if (candidates.length >= failure.minimumHosts) {
        for (const [id, host] of candidates) {
          if ((100 * host.failures) / (host.successes + host.failures) <= failure.threshold) continue;
          const event = this.#tryEject(id, host, 'failure-percentage', failure.enforcementPercentage, now);
          if (event) events.push(event);
        }
      }
    }
    for (const [id, host] of this.#hosts) {
      host.successes = 0;
      host.failures = 0;
      if (!host.ejection) {
        if (host.multiplier > 0) host.multiplier--;
      } else if (now >= host.ejection.until) {
        events.push({ type: 'unejected', endpointId: id, ejectedMs: now - host.ejection.since });
        host.ejection = undefined;
        host.consecutiveFailures = 0;
      }
    }
    return events;
  }

  #withVolume(volume: number): [string, Counters][] {
    return [...this.#hosts].filter(([, h]) => !h.ejection && h.successes + h.failures >= volume);
  }

  #tryEject(
    id: string,
    host: Counters,
    reason: EjectionReason,
    enforcementPercentage: number,
    now: number,
  ): OutlierEvent | undefined {
    if (host.ejection) return undefined;
    let ejected = 0;
    for (const h of this.#hosts.values()) if (h.ejection) ejected++;
    // Envoy's rule: never past the cap, but one ejection is always allowed.
    if (ejected > 0 && (100 * (ejected + 1)) / this.#hosts.size > this.#options.maxEjectionPercent) return undefined;
    if (enforcementPercentage < 100 && this.#random() * 100 >= enforcementPercentage) return undefined;
    host.multiplier++;
    const { baseEjectionTimeMs, maxEjectionTimeMs } = this.#options;
    const duration = Math.min(baseEjectionTimeMs * host.multiplier, Math.max(baseEjectionTimeMs, maxEjectionTimeMs));
    host.ejection = { reason, since: now, until: now + duration, ejections: host.multiplier };
    return { type: 'ejected', endpointId: id, reason, until: host.ejection.until, ejections: host.multiplier };
  }
}

function fresh(): Counters {
  return { successes: 0, failures: 0, consecutiveFailures: 0, multiplier: 0, ejection: undefined };
}
