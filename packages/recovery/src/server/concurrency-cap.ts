import { MetadataKeys } from '@ballast/core';
import { isUnaryWork } from './unary-work.js';
import { ServerError, Status, type ServerMiddleware } from 'nice-grpc-common';

/**
 * A hard cap on calls in flight: past it, calls fail at once with RESOURCE_EXHAUSTED and a
 * pushback hint, instead of queueing until every caller's deadline passes. The adaptive limit of
 * @ballast/recovery sits inside it and usually sheds long before. Only unary work counts: streams
 * have their own bound (streamLimitMiddleware), and health checks always pass.
 */
export function concurrencyCapMiddleware(max: number, pushbackMs = 50): ServerMiddleware {
  let inFlight = 0;
  return async function* concurrencyCap(call, context) {
    if (!isUnaryWork(call.method)) return yield* call.next(call.request, context);
    if (inFlight >= max) {
      context.trailer.set(MetadataKeys.retryPushbackMs, String(pushbackMs));
      throw new ServerError(
        Status.RESOURCE_EXHAUSTED,
        `server at its limit of ${max} concurrent unary calls (maxConcurrentCalls); retry later or elsewhere`,
      );
    }
    inFlight++;
    try {
      return yield* call.next(call.request, context);
    } finally {
      inFlight--;
    }
  };
}
