import { MetadataKeys } from '@ballast/core';
import { ServerError, Status, type ServerMiddleware } from 'nice-grpc-common';

/**
 * A hard cap on calls in flight: past it, calls fail at once with RESOURCE_EXHAUSTED and a
 * pushback hint, instead of queueing until every caller's deadline passes. The adaptive limit of
 * @ballast/recovery sits inside it and usually sheds long before.
 */
export function concurrencyCapMiddleware(max: number, pushbackMs = 50): ServerMiddleware {
  let inFlight = 0;
  return async function* concurrencyCap(call, context) {
    if (inFlight >= max) {
      context.trailer.set(MetadataKeys.retryPushbackMs, String(pushbackMs));
      throw new ServerError(Status.RESOURCE_EXHAUSTED, `server at its limit of ${max} concurrent calls; retry later`);
    }
    inFlight++;
    try {
      return yield* call.next(call.request, context);
    } finally {
      inFlight--;
    }
  };
}
