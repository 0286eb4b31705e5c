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
  /** The server's ORCA load report from the trailers, when it sent one. */
  readonly load?: LoadReport;
}

export type OutcomeListener = (outcome: CallOutcome) => void;

/**
 * A server's ORCA load report (`xds.data.orca.v3.OrcaLoadReport`, the `endpoint-load-metrics-bin`
 * trailer or the OpenRcaService stream), with the field names of its generated stub. Any gRPC
 * server that speaks ORCA sends one; a missing field reads as 0, as in protobuf.
 */
export interface LoadReport {
  /** CPU utilisation, a fraction of the available CPU (may exceed 1). */
  readonly cpuUtilization?: number;
  /** Memory utilisation, 0..1. */
  readonly memUtilization?: number;
  /** The application's own utilisation (may exceed 1); balancers prefer it to cpuUtilization. */
  readonly applicationUtilization?: number;
  /** Requests per second the server is completing. */
  readonly rpsFractional?: number;
  /** Errors per second. */
  readonly eps?: number;
  readonly utilization?: Readonly<Record<string, number>>;
  readonly namedMetrics?: Readonly<Record<string, number>>;
}
