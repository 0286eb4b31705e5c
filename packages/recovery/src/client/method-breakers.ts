import { callContextOf, ENDPOINT_FAILURE_CODES, observeEnd, parseOptions } from '@ballast/core';
import { isAbortError } from 'abort-controller-x';
import { ClientError, type CallOptions, type ClientMiddleware, type ClientMiddlewareCall } from 'nice-grpc-common';
import { z } from 'zod';
import { instrumentBreaker } from './instrument-breaker.js';
import { CircuitBreaker, circuitBreakerOptionsSchema } from './circuit-breaker.js';
import { BreakerOpenError, invalidRecoveryOption } from '../errors.js';
import { failureCodesSchema, registrySchema } from '../option-schemas.js';

export const breakerMiddlewareOptionsSchema = z.strictObject({
  /** Options of each per-method breaker (its name is "<prefix><method path>"). */
  breaker: circuitBreakerOptionsSchema.omit({ name: true }).optional(),
  namePrefix: z.string().default(''),
  /**
   * gRPC codes that count against the backend (default: the taxonomy's endpoint-failing codes);
   * others (INVALID_ARGUMENT, RESOURCE_EXHAUSTED…) and cancellations count as successes.
   */
  failureCodes: failureCodesSchema.default([...ENDPOINT_FAILURE_CODES]),
  /** prom-client registry for breaker metrics; false for none. */
  registry: z.union([registrySchema, z.literal(false)]).optional(),
});
export type BreakerMiddlewareOptions = z.input<typeof breakerMiddlewareOptionsSchema>;

export interface MethodBreakers {
  middleware: ClientMiddleware;
  /** The breaker of a method path, created on first use. */
  breaker(method: string): CircuitBreaker;
  /** Every breaker created so far. */
  breakers(): readonly CircuitBreaker[];
  /** Stops metrics updates. */
  close(): void;
}

/**
 * A circuit breaker per method: an open one fails calls fast with a BreakerOpenError (UNAVAILABLE)
 * naming it, which no Ballast retry retries. Put it outside the retry layer, so it judges whole
 * calls and its refusal is final; connect() does.
 */
export function createMethodBreakers(options: BreakerMiddlewareOptions = {}): MethodBreakers {
  const o = parseOptions(breakerMiddlewareOptionsSchema, options, 'breakers', { error: invalidRecoveryOption });
  const breakers = new Map<string, CircuitBreaker>();
  const disposers: (() => void)[] = [];
  const breaker = (method: string) => {
    let existing = breakers.get(method);
    if (!existing) {
      existing = new CircuitBreaker({ ...o.breaker, name: `${o.namePrefix}${method}` });
      if (o.registry !== false) disposers.push(instrumentBreaker(existing, o.registry));
      breakers.set(method, existing);
    }
    return existing;
  };
  const middleware: ClientMiddleware = <Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions,
  ) => {
    const b = breaker(call.method.path);
    const permit = b.tryAcquire();
    if (!permit.allowed) {
      callContextOf(options)?.note({ type: 'breaker-refused', scope: 'method', name: b.name });
      return failed(new BreakerOpenError(call.method.path, b.name, permit.retryInMs));
    }
    const inner: AsyncGenerator<Response, Response | void, undefined> = call.next(call.request as never, options);
    return observeEnd(inner, (end) => {
      // A consumer that stops reading a stream early, or a caller that gives up: neither a
      // failure nor a success of the backend, so it counts as a success.
      if (end.type !== 'failed' || isAbortError(end.error)) b.record(true, permit.probe);
      else b.record(end.error instanceof ClientError && !o.failureCodes.includes(end.error.code), permit.probe);
    });
  };
  return {
    middleware,
    breaker,
    breakers: () => [...breakers.values()],
    close: () => disposers.splice(0).forEach((dispose) => dispose()),
  };
}

// eslint-disable-next-line require-yield -- a call that fails before it starts yields nothing
async function* failed(error: Error): AsyncGenerator<never, never, undefined> {
  throw error;
}
