import { BallastError, markInvalidOption, type InvalidOptionFactory } from '@ballast/core';
import { ClientError, Status } from 'nice-grpc-common';

/**
 * Base class of every error the recovery package throws itself; `code` is stable across releases.
 * The errors a client middleware hands back in place of a ClientError stay ClientErrors (their
 * `code` is the gRPC status callers switch on) and carry their stable code as `recoveryCode`.
 */
export class RecoveryError extends BallastError {}

/** An option failed validation at construction; names the option and what it accepts. */
export class InvalidRecoveryOptionError extends RecoveryError {
  declare readonly option: string;
  declare readonly problem: string;
  declare readonly allowed: string;
  constructor(option: string, problem: string, allowed: string) {
    super('INVALID_RECOVERY_OPTION', `recovery option "${option}" ${problem}: allowed values are ${allowed}`);
    markInvalidOption(this, option, problem, allowed);
  }
}

/** Lets core's parseOptions throw the recovery package's own invalid-option error. */
export const invalidRecoveryOption: InvalidOptionFactory = (option, problem, allowed) =>
  new InvalidRecoveryOptionError(option, problem, allowed);

/**
 * A retry was wanted but the retry budget is spent. It keeps the original error's status, so
 * callers that switch on the gRPC code see what the server said; `cause` is the original error.
 */
export class RetryBudgetExhaustedError extends ClientError {
  readonly recoveryCode = 'RETRY_BUDGET_EXHAUSTED';
  constructor(original: ClientError) {
    super(
      original.path,
      original.code,
      `${original.details} (not retried: the retry budget is exhausted — the backend is failing broadly; ` +
        'raise the budget ratio only if the backend can take the extra load)',
    );
    this.name = 'RetryBudgetExhaustedError';
    this.cause = original;
  }
}

/** The server asked for no retry (negative `grpc-retry-pushback-ms`); keeps the original status. */
export class RetryPushbackError extends ClientError {
  readonly recoveryCode = 'RETRY_PUSHBACK';
  constructor(original: ClientError) {
    super(original.path, original.code, `${original.details} (not retried: the server asked clients not to retry)`);
    this.name = 'RetryPushbackError';
    this.cause = original;
  }
}

/** A circuit breaker is open: the call failed fast with UNAVAILABLE without reaching the network. */
export class BreakerOpenError extends ClientError {
  readonly recoveryCode = 'BREAKER_OPEN';
  readonly breaker: string;
  constructor(path: string, breaker: string, retryInMs: number | undefined) {
    const when = retryInMs === undefined ? 'while it throttles' : `for about ${Math.ceil(retryInMs)} ms`;
    super(
      path,
      Status.UNAVAILABLE,
      `circuit breaker "${breaker}" is open: failing fast ${when} because the backend keeps failing`,
    );
    this.name = 'BreakerOpenError';
    this.breaker = breaker;
  }
}

/** A failsafe fallback threw: both the call's error and the fallback's error are kept. */
export class FallbackFailedError extends RecoveryError {
  readonly callError: unknown;
  constructor(callError: unknown, fallbackError: unknown) {
    super(
      'FALLBACK_FAILED',
      `the failsafe fallback threw (${describeError(fallbackError)}) after the call failed (${describeError(callError)}); ` +
        'fix the fallback: it must not fail',
      { cause: fallbackError },
    );
    this.callError = callError;
  }
}

/** The supervisor could not start or keep a child running. */
export class SupervisorError extends RecoveryError {
  constructor(code: 'SPAWN_FAILED' | 'CRASH_LOOP', message: string) {
    super(code, message);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
