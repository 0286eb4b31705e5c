import type { MethodDescriptor } from 'nice-grpc-common';

/** Path prefix of grpc.health.v1.Health: its calls must answer while the process lives. */
export const HEALTH_METHOD_PREFIX = '/grpc.health.v1.Health/';

/**
 * Whether a call is the short request/response work that concurrency limits are about. Streams
 * (health Watch, reflection, subscriptions) stay open for as long as their client wants; counting
 * them as in flight lets a few idle ones fill a limit meant for unary calls, and their lifetime is
 * no latency sample. Health checks are exempt too: refusing them marks a busy server dead.
 */
export function isUnaryWork(method: Pick<MethodDescriptor, 'path' | 'requestStream' | 'responseStream'>): boolean {
  return !method.requestStream && !method.responseStream && !method.path.startsWith(HEALTH_METHOD_PREFIX);
}
