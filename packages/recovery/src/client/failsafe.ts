import { partLogger, type Logger } from '@ballast/core';
import { isAbortError } from 'abort-controller-x';
import { describeError, FallbackFailedError } from '../errors.js';

export interface FailsafeOptions {
  /** Called with every error the fallback replaces, so it is recorded rather than lost. */
  onError?: (error: unknown) => void;
  /** Where replaced errors are logged (warn). */
  logger?: Logger;
  /** Also replace aborts with the fallback (default false: a cancelled caller stays cancelled). */
  fallbackOnAbort?: boolean;
}

/**
 * Dubbo's failsafe: run `call`; if it fails, record the error and return `fallback(error)`. A
 * fallback that throws is not swallowed: it rejects with FallbackFailedError carrying both errors.
 */
export async function failsafe<T>(
  call: () => Promise<T>,
  fallback: (error: unknown) => T | Promise<T>,
  options: FailsafeOptions = {},
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAbortError(error) && !options.fallbackOnAbort) throw error;
    const logger = partLogger('recovery', 'failsafe', options.logger);
    logger.warn({ error: describeError(error) }, 'call failed; returning the failsafe fallback');
    options.onError?.(error);
    try {
      return await fallback(error);
    } catch (fallbackError) {
      throw new FallbackFailedError(error, fallbackError);
    }
  }
}
