/**
 * Every metadata key Ballast reads or writes, in one place. The standard gRPC ones travel from
 * servers; Ballast's own few are named `ballast-…`. What the layers of one call share stays in
 * process, in its CallContext: these keys are only for what must cross a process or reach a
 * caller that has no context.
 */
export const MetadataKeys = {
  /** Server trailer: a binary ORCA load report (xds.data.orca.v3.OrcaLoadReport), as gRPC defines it. */
  load: 'endpoint-load-metrics-bin',
  /** Server trailer asking the client to wait this many ms before retrying; negative = do not retry. */
  retryPushbackMs: 'grpc-retry-pushback-ms',
  /**
   * Request header: the caller's remaining time in ms. nice-grpc clients enforce deadlines locally
   * and send no `grpc-timeout`, so the budget travels here; relative, so clock skew does not matter.
   */
  timeoutMs: 'ballast-timeout-ms',
  /**
   * Server-internal: a `grpc-timeout` deadline (epoch ms) that grpc-js strips before handlers see
   * metadata, re-exposed by an interceptor, which overwrites whatever a client sent under it.
   */
  deadlineAt: 'ballast-deadline-at',
  /**
   * Request key for balanced-channel callers outside connect(): any value but "false"/"0" makes the
   * call wait for an endpoint up to its deadline. Read by the channel and stripped before the wire.
   */
  waitForReady: 'ballast-wait-for-ready',
} as const;
