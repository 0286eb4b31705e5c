/**
 * What one attempt on one endpoint came to. The balanced channel reports it for every attempt;
 * balancing policies and detectors consume it; nothing else mutates endpoint state.
 */
export interface CallOutcome {
  readonly endpointId: string;
  /** gRPC status code (0 = OK). */
  readonly code: number;
  /** From the pick to the final status, in milliseconds. */
  readonly latencyMs: number;
  /** Full method path, "/package.Service/Method". */
  readonly method: string;
  /** The server's utilisation report from the trailers, when it sent one. */
  readonly load?: LoadReport;
}

export type OutcomeListener = (outcome: CallOutcome) => void;

/**
 * Codes that say the endpoint (or the path to it) failed, rather than the request: the default
 * for outlier detection and circuit breakers, as Envoy's "gateway errors".
 */
export const GATEWAY_ERROR_CODES: readonly number[] = [
  14, // UNAVAILABLE
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  13, // INTERNAL
  2, // UNKNOWN
];

/** A server's own view of how loaded it is, sent in trailers for load-aware balancing. */
export interface LoadReport {
  /** CPU utilisation of the process, 0..1 (may exceed 1 on several cores). */
  readonly cpu?: number;
  /** Event-loop delay, milliseconds. */
  readonly eventLoopDelayMs?: number;
  readonly inFlight?: number;
  /** Calls per second the server is completing. */
  readonly qps?: number;
}
