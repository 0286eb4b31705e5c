import { createLogger, extendOptions, MetadataKeys, systemClock, type Logger } from '@ballast/core';
import { delay } from 'abort-controller-x';
import { retryMiddleware, type RetryOptions } from 'nice-grpc-client-middleware-retry';
import {
  ClientError,
  Metadata,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ClientMiddlewareCall,
} from 'nice-grpc-common';
import { z } from 'zod';
import { ATTEMPT_STATE, parsePushback, type AttemptState, type AttemptStateOptions } from './attempt-state.js';
import { exponentialBackoff, type BackoffOptions } from './backoff.js';
import { chainMiddleware } from './compose.js';
import { RetryBudgetExhaustedError, RetryPushbackError } from './errors.js';
import { parseOptions } from './parse-options.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

// RESOURCE_EXHAUSTED: a shedding server rejects before doing any work, with a pushback hint, so
// another attempt (elsewhere, after the pushback) is safe and useful.
const DEFAULT_RETRYABLE = [
  Status.UNAVAILABLE,
  Status.RESOURCE_EXHAUSTED,
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.CANCELLED,
];

export const retryOptionsSchema = z.object({
  /** Retries after the first attempt (so attempts ≤ maxRetries + 1). */
  maxRetries: z.number().int().min(0).max(10).default(2),
  backoff: z.custom<BackoffOptions>((value) => typeof value === 'object' && value !== null).optional(),
  /** Codes worth another attempt. INVALID_ARGUMENT is the request's fault and is never accepted. */
  retryableCodes: z
    .array(z.nativeEnum(Status))
    .refine((codes) => !codes.includes(Status.INVALID_ARGUMENT), 'INVALID_ARGUMENT is never retried')
    .default(DEFAULT_RETRYABLE),
  /** A RetryBudget shared by this client, options for a new one, or false for no budget. */
  budget: z.union([z.instanceof(RetryBudget), z.literal(false), z.record(z.string(), z.unknown())]).default({}),
  /** Tell the balanced channel to avoid endpoints that already failed this call. */
  failover: z.boolean().default(true),
  /** Upper bound on a server pushback wait; longer requests are honoured as "do not retry". */
  maxPushbackMs: z.number().finite().min(0).default(30_000),
  logger: z.custom<Logger>().optional(),
});
export type RetryMiddlewareOptions = z.input<typeof retryOptionsSchema>;

const ALLOWED = {
  maxRetries: 'an integer in [0, 10]',
  backoff: '{ baseMs, maxMs, factor, jitter: "full" | "equal" | "none", random }',
  retryableCodes: 'gRPC status codes other than INVALID_ARGUMENT (3)',
  budget: 'a RetryBudget, RetryBudget options, or false',
  failover: 'true or false',
  maxPushbackMs: 'a number of milliseconds ≥ 0',
};

/** What a caller may pass per call. `retry: true` opts a non-idempotent method in. */
export type RetryCallOptions = Pick<RetryOptions, 'retry'> & {
  /** Overrides maxRetries for this call. */
  retryMaxAttempts?: number;
};

export interface Retry {
  middleware: ClientMiddleware<RetryCallOptions>;
  /** The budget this client draws on (undefined when `budget: false`); share it with hedging. */
  budget: RetryBudget | undefined;
}

/**
 * Retries built on nice-grpc-client-middleware-retry: its loop decides what is retryable and
 * when to stop; around it this adds the retry budget, server pushback, jittered backoff with an
 * injectable random source, and failover (the `ballast-exclude` hint for the balanced channel).
 */
export function createRetry(options: RetryMiddlewareOptions = {}): Retry {
  const o = parseOptions(retryOptionsSchema, options, 'retry', ALLOWED);
  const budget =
    o.budget === false
      ? undefined
      : o.budget instanceof RetryBudget
        ? o.budget
        : new RetryBudget(o.budget as RetryBudgetOptions);
  const backoff = exponentialBackoff(o.backoff);
  const logger = o.logger ?? createLogger('ballast.recovery.retry');
  const clock = systemClock;
  let exhausted = false;

  // Computed once: the gate hands the same list to every call.
  const retryableStatuses = o.retryableCodes.filter((code) => code !== Status.INVALID_ARGUMENT);

  // Below the library's loop, once per attempt. The first attempt of a call goes straight to the
  // layer below (no generator of its own, no allocation); a retry waits out the backoff or
  // pushback and, with failover, names the endpoints that already failed this call.
  const perAttempt: ClientMiddleware<AttemptStateOptions> = (call, options) => {
    const state = options[ATTEMPT_STATE];
    if (state === undefined || state.attempts++ === 0) return call.next(call.request, options);
    return retryAttempt(call, options, state);
  };
  async function* retryAttempt<Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions,
    state: AttemptState,
  ) {
    const wait = Math.max(backoff.delayMs(state.attempts - 2), state.pushbackMs ?? 0);
    if (wait > 0) await delay(options.signal ?? new AbortController().signal, wait);
    state.pushbackMs = undefined;
    state.lastEndpoint = undefined;
    if (!o.failover || state.failedEndpoints === undefined) return yield* call.next(call.request, options);
    const metadata = Metadata(options.metadata);
    metadata.set(MetadataKeys.exclude, [...state.failedEndpoints].join(','));
    return yield* call.next(call.request, extendOptions(options, { metadata }));
  }

  // Above the library's loop, once per call. It only prepares what goes down, so it hands back
  // the library's generator rather than wrapping it in one of its own.
  const gate: ClientMiddleware<RetryCallOptions> = (call, options) => {
    if (call.requestStream || call.responseStream) return call.next(call.request, options);
    budget?.recordFirstAttempt();
    const state: AttemptState = {
      attempts: 0,
      failedEndpoints: undefined,
      pushbackMs: undefined,
      lastEndpoint: undefined,
    };
    const started = clock.now();
    const callerOnTrailer = options.onTrailer;
    const downstream: CallOptions & RetryOptions & AttemptStateOptions = extendOptions(options, {
      retryMaxAttempts: options.retryMaxAttempts ?? o.maxRetries,
      // The per-attempt layer waits; the library's own Math.random backoff is switched off.
      retryBaseDelayMs: 0,
      retryMaxDelayMs: 0,
      retryableStatuses,
      // Every attempt's trailer names the endpoint that served it and any server pushback.
      onTrailer(trailer) {
        state.lastEndpoint = trailer.get(MetadataKeys.endpoint) ?? state.lastEndpoint;
        state.pushbackMs = parsePushback(trailer.get(MetadataKeys.retryPushbackMs));
        callerOnTrailer?.(trailer);
      },
      onRetryableError(error: ClientError, attempt: number) {
        if (state.lastEndpoint !== undefined) (state.failedEndpoints ??= new Set()).add(state.lastEndpoint);
        const pushback = state.pushbackMs;
        if (pushback !== undefined && (pushback < 0 || pushback > o.maxPushbackMs)) {
          logger.info({ method: call.method.path, attempt, pushback }, 'retry refused: server pushback');
          throw new RetryPushbackError(error);
        }
        if (budget && !budget.tryRetry()) {
          // Logged on the transition only: under an outage every call would log it otherwise.
          if (!exhausted) logger.warn({ method: call.method.path, code: error.code }, 'retry budget exhausted');
          exhausted = true;
          throw new RetryBudgetExhaustedError(error);
        }
        if (exhausted) logger.info({ method: call.method.path }, 'retry budget available again');
        exhausted = false;
        logger.debug(
          { method: call.method.path, attempt, code: error.code, elapsedMs: clock.now() - started },
          'retrying',
        );
      },
      [ATTEMPT_STATE]: state,
    });
    return call.next(call.request, downstream as CallOptions);
  };

  const middleware = chainMiddleware([
    gate,
    retryMiddleware as ClientMiddleware,
    perAttempt as ClientMiddleware,
  ]) as ClientMiddleware<RetryCallOptions>;
  return { middleware, budget };
}
