import type { HedgingCallOptions, RetryCallOptions } from '@ballast/recovery';
import type { DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import type { ParsedConnectOptions } from './connect-options.js';
import { RpcOptionsError } from './errors.js';

/**
 * What a call through connect() may pass besides nice-grpc's own options: `deadline` (a Date, or
 * ms from now), `retry` (true opts a non-idempotent method in, false turns retries off),
 * `retryMaxAttempts`, and `hedge`.
 */
export type BallastCallOptions = DeadlineOptions & RetryCallOptions & HedgingCallOptions;

/**
 * connect()'s per-method options as nice-grpc's default call options: '*' for every method, then
 * each override. A method the service does not have is refused, listing the ones it has.
 */
export function defaultCallOptions(
  definition: CompatServiceDefinition,
  options: Pick<ParsedConnectOptions, 'deadlineMs' | 'methods'>,
): Record<string, Record<string, unknown>> {
  const { deadlineMs } = options;
  const methods = 'methods' in definition ? Object.keys(definition.methods as object) : Object.keys(definition);
  const result: Record<string, Record<string, unknown>> = { '*': { deadline: deadlineMs } };
  for (const [method, overrides] of Object.entries(options.methods ?? {})) {
    if (!methods.includes(method)) {
      throw new RpcOptionsError(
        'connect',
        `methods.${method}`,
        `no such method; the service has ${methods.join(', ')}`,
      );
    }
    const call: Record<string, unknown> = {};
    if (overrides.deadlineMs !== undefined) call.deadline = overrides.deadlineMs;
    if (overrides.retry !== undefined) call.retry = overrides.retry;
    if (overrides.maxRetries !== undefined) call.retryMaxAttempts = overrides.maxRetries;
    if (overrides.hedge !== undefined) call.hedge = overrides.hedge;
    result[method] = call;
  }
  return result;
}
