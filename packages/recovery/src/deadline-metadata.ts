/**
 * Request metadata carrying the caller's remaining time in ms. nice-grpc clients enforce
 * deadlines locally (an abort timer) and send no `grpc-timeout`, so the budget travels here;
 * relative, like `grpc-timeout`, so clock skew between hosts does not matter.
 */
export const TIMEOUT_METADATA_KEY = 'ballast-timeout-ms';

/**
 * Server-internal metadata key carrying a `grpc-timeout` deadline (epoch ms) from clients that
 * send one (grpc-js, Go…). grpc-js strips `grpc-timeout` before handlers see metadata, so an
 * interceptor re-exposes it; it always overwrites what a client sent under this key.
 */
export const DEADLINE_METADATA_KEY = 'ballast-deadline-at';
