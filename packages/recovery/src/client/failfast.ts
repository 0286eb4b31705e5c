import { extendOptions } from '@ballast/core';
import type { CallOptions, ClientMiddleware } from 'nice-grpc-common';

/**
 * Dubbo's failfast: one attempt, no retry and no hedge, whatever the method's idempotency. Put it
 * outside the retry and hedging middlewares (a later `.use`), or pass `{ retry: false, hedge: false }` per call.
 */
export const failfastMiddleware: ClientMiddleware = async function* failfast(call, options) {
  return yield* call.next(call.request, extendOptions(options, { retry: false, hedge: false }) as CallOptions);
};
