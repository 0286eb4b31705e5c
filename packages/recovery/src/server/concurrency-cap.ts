import type { ServerMiddleware } from 'nice-grpc-common';
import { FixedLimit } from './fixed-limit.js';
import { createLoadShedder } from './load-shedder.js';

/**
 * A hard cap on calls in flight: the load shedder over a FixedLimit. Past it, calls fail at once
 * with RESOURCE_EXHAUSTED and a pushback hint, instead of queueing until every caller's deadline
 * passes. An adaptive shedder placed inside it usually sheds long before. Only unary work counts:
 * streams have their own bound (streamLimit), and health checks always pass. No metrics: the
 * adaptive shedder's are the ones that say how loaded a server is.
 */
export function concurrencyCapMiddleware(max: number, pushbackMs = 50): ServerMiddleware {
  return createLoadShedder({ limiter: new FixedLimit(max, 'maxConcurrentCalls'), pushbackMs }).middleware;
}
