import type { Logger } from '@ballast/core';
import { ClientError, ServerError, Status } from 'nice-grpc';
import type { ReplicaFaults } from './shop-config.js';
import { delay } from 'abort-controller-x';

/** Codes a downstream answer keeps when passed up: they describe the request, not the replica. */
const PASS_THROUGH = new Set([Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.FAILED_PRECONDITION]);

/**
 * Wraps every method of a service implementation: first the replica's injected delay (the
 * dashboard's "slow"), then errors from downstream calls or the store mapped to UNAVAILABLE with
 * what failed, so the caller's retry policy sees a retryable code instead of an opaque INTERNAL.
 */
export function wrapService<T extends object>(
  implementation: T,
  faults: { readonly value: ReplicaFaults },
  logger: Logger,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(implementation) as [string, (...args: unknown[]) => unknown][]) {
    const isStream = method.constructor.name === 'AsyncGeneratorFunction';
    wrapped[name] = isStream
      ? async function* (request: unknown, context: { signal: AbortSignal }) {
          await injectDelay(faults, context.signal);
          try {
            return yield* method(request, context) as AsyncGenerator<unknown>;
          } catch (error) {
            throw mapError(error, name, logger);
          }
        }
      : async function (request: unknown, context: { signal: AbortSignal }) {
          await injectDelay(faults, context.signal);
          try {
            return await method(request, context);
          } catch (error) {
            throw mapError(error, name, logger);
          }
        };
  }
  return wrapped as T;
}

async function injectDelay(faults: { readonly value: ReplicaFaults }, signal: AbortSignal): Promise<void> {
  const { delayMs } = faults.value;
  if (delayMs > 0) await delay(signal, delayMs);
}

/** abort-controller-x's AbortError, by name: a cancelled call is never remapped. */
function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function mapError(error: unknown, method: string, logger: Logger): unknown {
  if (error instanceof ServerError || isAbortError(error)) return error;
  if (error instanceof ClientError) {
    if (PASS_THROUGH.has(error.code)) return new ServerError(error.code, error.details);
    return new ServerError(Status.UNAVAILABLE, `${error.path} failed (${Status[error.code]}: ${error.details}): retry`);
  }
  logger.warn({ err: error, method }, 'dependency failed; answered UNAVAILABLE');
  return new ServerError(Status.UNAVAILABLE, `${method}: the store is unavailable (${String(error)}): retry`);
}
