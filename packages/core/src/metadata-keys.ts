/**
 * Metadata keys a Ballast server sends. Nothing Ballast-private travels from a client: what the
 * layers of one call share stays in process, in its CallContext.
 */
export const MetadataKeys = {
  /** Server trailer: utilisation report, see formatLoadReport. */
  load: 'ballast-load',
  /** Server trailer asking the client to wait this many ms before retrying; negative = do not retry. */
  retryPushbackMs: 'grpc-retry-pushback-ms',
} as const;
