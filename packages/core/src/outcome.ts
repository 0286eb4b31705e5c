import type { Signal } from './signal.js';

/**
 * What one attempt on one endpoint came to. The balanced channel reports it for every attempt;
 * balancing policies and detectors consume it; nothing else mutates endpoint state.
 */
export interface CallOutcome {
  readonly endpointId: string;
  /** gRPC status code (0 = OK). */
  readonly code: number;
  /** What the outcome says about the endpoint: see `classify`. */
  readonly signal: Signal;
  /** From the pick to the final status, in milliseconds. */
  readonly latencyMs: number;
  /** Full method path, "/package.Service/Method". */
  readonly method: string;
  /** The server's utilisation report from the trailers, when it sent one. */
  readonly load?: LoadReport;
}

export type OutcomeListener = (outcome: CallOutcome) => void;

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
