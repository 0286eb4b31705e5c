/**
 * Metadata keys that carry Ballast's own signals. Client-internal keys are removed by the
 * balanced channel before a call goes on the wire.
 */
export const MetadataKeys = {
  /** Trailer the balanced channel adds on the client: id of the endpoint that served the attempt. */
  endpoint: 'ballast-endpoint',
  /**
   * Client-internal request metadata: comma-separated endpoint ids a retry should avoid when
   * another endpoint is available. Set by the failover middleware, read and stripped by the channel.
   */
  exclude: 'ballast-exclude',
  /**
   * Client-internal request metadata: one value per logical call, shared by all its attempts.
   * An attempt avoids endpoints where another attempt of the same call is still in flight (when
   * another endpoint is available), so a hedge never lands on the replica it is hedging against.
   */
  call: 'ballast-call',
  /** Server trailer: utilisation report, see formatLoadReport. */
  load: 'ballast-load',
  /** Server trailer asking the client to wait this many ms before retrying; negative = do not retry. */
  retryPushbackMs: 'grpc-retry-pushback-ms',
} as const;

/** Keys removed before the wire: they mean something only inside this client. */
export const CLIENT_INTERNAL_KEYS: readonly string[] = [MetadataKeys.exclude, MetadataKeys.call];
