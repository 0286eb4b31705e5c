import type { Clock, Disposer, Endpoint, LoadReport, Logger, Random, Signal } from '@ballast/core';
import type { PolicyOptions } from './policy-options.js';

/** Read access to the request metadata at pick time; keys are lower-case. */
export interface PickMetadata {
  get(key: string): string | undefined;
}

/** What a picker sees of one attempt. */
export interface PickRequest {
  /** Full method path, "/package.Service/Method". */
  readonly method: string;
  readonly metadata: PickMetadata;
  /** Endpoint ids to avoid when any other endpoint can take the attempt (from the call's CallContext). */
  readonly exclude: ReadonlySet<string>;
}

/** How one attempt ended, reported back through `Pick.done`. */
export interface AttemptResult {
  /** gRPC status code (0 = OK). */
  readonly code: number;
  /**
   * What the outcome says about the endpoint (`@ballast/core`'s taxonomy). The balanced channel
   * always gives it; a caller outside it may leave it to `classify(code)`.
   */
  readonly signal?: Signal;
  readonly latencyMs: number;
  readonly load?: LoadReport;
}

/** The endpoint chosen for one attempt; `done` must be called exactly once when the attempt ends. */
export interface Pick {
  readonly endpoint: Endpoint;
  done(result: AttemptResult): void;
}

/**
 * An immutable snapshot over a non-empty endpoint list. `pick()` is synchronous and O(1) or
 * O(log n); per-endpoint counters it reads (in-flight, latency) live in the policy.
 */
export interface Picker {
  readonly endpoints: readonly Endpoint[];
  pick(request: PickRequest): Pick;
}

/** A balancing policy: builds pickers and keeps the per-endpoint state they read. */
export interface Policy {
  readonly name: string;
  /** A picker over these endpoints, which the caller guarantees are non-empty and have unique ids. */
  picker(endpoints: readonly Endpoint[]): Picker;
  /**
   * Called when the policy's own state says the current picker is stale (new load weights), so
   * the owner builds a new one. Policies whose pickers never go stale omit it.
   */
  onStale?(listener: () => void): Disposer;
  /**
   * Load reports wanted out of band (ORCA's OpenRcaService), every this many ms: the balanced
   * channel then subscribes on each endpoint's connection and hands each report to
   * `onLoadReport`. Policies that read no load omit both.
   */
  readonly oobReportPeriodMs?: number;
  /** A load report that came outside any call. */
  onLoadReport?(endpointId: string, report: LoadReport): void;
  /**
   * The latency an attempt on the endpoint typically takes by this policy's own measure, ms
   * (undefined until measured). Policies that keep no latency omit it.
   */
  latencyMs?(endpointId: string): number | undefined;
}

/** How many attempts are in flight on one endpoint. */
export interface InFlightCounter {
  readonly inFlight: number;
}

/**
 * Where a policy reads and counts attempts in flight per endpoint. Under a balanced channel the
 * endpoint table counts them, once for every channel of the client, and `add` does nothing; a
 * policy used on its own counts them itself (`ownInFlight`).
 */
export interface InFlightCounts {
  /** The counter a policy keeps for `endpoint` (taken once, when it first sees the endpoint). */
  counter(endpoint: Endpoint): InFlightCounter;
  /** An attempt started (+1) or ended (-1) on the counter's endpoint. */
  add(counter: InFlightCounter, delta: 1 | -1): void;
}

/** In-flight counts kept by the policy itself: for a policy used without a balanced channel. */
export const ownInFlight: InFlightCounts = {
  counter: () => ({ inFlight: 0 }),
  add: (counter, delta) => {
    (counter as { inFlight: number }).inFlight += delta;
  },
};

/**
 * What a policy factory receives: injected time and randomness, its options parsed by its own
 * schema, a logger.
 */
export interface PolicyContext<O = PolicyOptions> {
  readonly clock: Clock;
  readonly random: Random;
  readonly options: O;
  readonly logger: Logger;
  readonly inFlight: InFlightCounts;
}

export type PolicyFactory<O = PolicyOptions> = (context: PolicyContext<O>) => Policy;

/** A pick that needs no feedback. */
export function plainPick(endpoint: Endpoint): Pick {
  return { endpoint, done: noop };
}

function noop(): void {}

/** Metadata view over a plain record, for tests and callers outside gRPC. */
export function recordMetadata(record: Readonly<Record<string, string>> = {}): PickMetadata {
  return { get: (key) => record[key] };
}

const EMPTY_EXCLUDE: ReadonlySet<string> = new Set();

/** A request with no metadata and nothing excluded: for tests and benchmarks. */
export function pickRequest(partial: Partial<PickRequest> = {}): PickRequest {
  return {
    method: partial.method ?? '/test/Method',
    metadata: partial.metadata ?? recordMetadata(),
    exclude: partial.exclude ?? EMPTY_EXCLUDE,
  };
}
