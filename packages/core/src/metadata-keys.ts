/**
 * Metadata keys a Ballast server sends, all of them standard gRPC ones. Nothing Ballast-private travels from a client: what the
 * layers of one call share stays in process, in its CallContext.
 */
export const MetadataKeys = {
  /** Server trailer: a binary ORCA load report (xds.data.orca.v3.OrcaLoadReport), as gRPC defines it. */
  load: 'endpoint-load-metrics-bin',
  /** Server trailer asking the client to wait this many ms before retrying; negative = do not retry. */
  retryPushbackMs: 'grpc-retry-pushback-ms',
} as const;
