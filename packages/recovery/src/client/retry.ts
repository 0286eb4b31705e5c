import {
  CALL_CONTEXT,
  CallContext,
  callContextOf,
  extendOptions,
  type Logger,
  MetadataKeys,
  parseOptions,
  parsePushback,
  partLogger,
  RETRYABLE_CODES,
  systemScheduler,
  type Scheduler,
} from '@ballast/core';
import { retryMiddleware, type RetryOptions } from 'nice-grpc-client-middleware-retry';
import {
  ClientError,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ClientMiddlewareCall,
} from 'nice-grpc-common';
import { z } from 'zod';

import { backoffOptionsSchema, exponentialBackoff } from '../backoff.js';
import { chainMiddleware } from './chain-middleware.js';
import { BreakerOpenError, RetryBudgetExhaustedError, RetryPushbackError, invalidRecoveryOption } from '../errors.js';
import { RetryBudget, retryBudgetOptionsSchema } from './retry-budget.js';
import { retryStream } from './retry-stream.js';

// The signal taxonomy's choice: the endpoint failed or is overloaded, so another may do better.
// RESOURCE_EXHAUSTED is there because a shedding server refuses before doing any work, with a
// pushback hint: another attempt, elsewhere and after the pushback, is safe and useful.
const DEFAULT_RETRYABLE = RETRYABLE_CODES as Status[];

export const retryOptionsSchema = z.strictObject({
  /** Retries after the first attempt (so attempts ≤ maxRetries + 1). */
  maxRetries: z.number().int().min(0).max(10).default(2),
  backoff: backoffOptionsSchema.optional(),
  /** Codes worth another attempt. INVALID_ARGUMENT is the request's fault and is never accepted. */
  retryableCodes: z
    .array(z.nativeEnum(Status))
    .refine((codes) => !codes.includes(Status.INVALID_ARGUMENT), 'INVALID_ARGUMENT is never retried')
    .default(DEFAULT_RETRYABLE),
  /** A RetryBudget shared by this client, options for a new one, or false for no budget. */
  budget: z
    .union([z.instanceof(RetryBudget).describe('a RetryBudget'), z.literal(false), retryBudgetOptionsSchema])
    .prefault({}),
  /**
   * Avoid, on a retry, the endpoints that already failed this call. The balanced channel does it
   * by reading the call's CallContext; false gives the retry no such hint.
   */
  failover: z.boolean().default(true),
  /**
   * Read each attempt's trailers for a server pushback. Not needed under `balancedUnary`, which
   * writes the pushback into the call's context (and then spares nice-grpc the trailer copy).
   */
  readTrailers: z.boolean().default(true),
  /**
   * Retries after a shedding server's refusal with a pushback (RESOURCE_EXHAUSTED + a pushback
   * ≥ 0), on top of maxRetries and outside the retry budget: each waits the pushback (or the
   * backoff, whichever is longer) and goes elsewhere, so a burst past one replica's limit queues
   * briefly at the client instead of failing.
   */
  maxOverloadRetries: z.number().int().min(0).max(20).default(10),
  /**
   * Request messages a client-streaming or bidi call keeps, until its first response, so that a
   * retry can send them again; a call that sent more before any response is not retried.
   */
  maxReplayMessages: z.number().int().min(0).max(10_000).default(64),
  /** Upper bound on a server pushback wait; longer requests are honoured as "do not retry". */
  maxPushbackMs: z.number().finite().min(0).default(30_000),
  logger: z.custom<Logger>().optional(),
  /** Time and the backoff and pushback waits; a VirtualScheduler in tests. */
  scheduler: z
    .custom<Scheduler>((v) => typeof v === 'object' && v !== null && 'sleep' in v)
    .describe('a Scheduler')
    .optional(),
});
export type RetryMiddlewareOptions = z.input<typeof retryOptionsSchema>;

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
 * injectable random source, and failover. The call's CallContext carries what the attempts
 * share: under `balancedUnary` the balanced channel records each attempt in it and avoids, on a
 * retry, the endpoints that already failed.
 */
export function createRetry(options: RetryMiddlewareOptions = {}): Retry {
  const o = parseOptions(retryOptionsSchema, options, 'retry', { error: invalidRecoveryOption });
  const budget =
    o.budget === false ? undefined : o.budget instanceof RetryBudget ? o.budget : new RetryBudget(o.budget);
  const backoff = exponentialBackoff(o.backoff);
  const logger = partLogger('recovery', 'retry', o.logger);
  const scheduler = o.scheduler ?? systemScheduler;
  let exhausted = false;

  // Computed once: the gate hands the same list to every call.
  const retryableStatuses = o.retryableCodes.filter((code) => code !== Status.INVALID_ARGUMENT);

  // Below the library's loop, once per attempt. The first attempt of a call goes straight to the
  // layer below (no generator of its own, no allocation); a retry first waits out the backoff or
  // the server's pushback.
  const perAttempt: ClientMiddleware = (call, options) => {
    const context = callContextOf(options);
    if (context === undefined || context.retries === 0) return call.next(call.request, options);
    return retryAttempt(call, options, context);
  };
  async function* retryAttempt<Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions,
    context: CallContext,
  ) {
    const wait = Math.max(backoff.delayMs(context.retries - 1), context.pushbackMs ?? 0);
    context.pushbackMs = undefined;
    if (wait > 0) await scheduler.sleep(wait, options.signal);
    return yield* call.next(call.request, options);
  }

  /**
   * Sets up one call's retries: its CallContext and the decision on each retryable failure (the
   * attempt limits, the budget, pushback), shared by the unary path (the library's loop) and the
   * streaming one. `decide` throws the error to give up, or returns to retry.
   */
  function prepare(call: ClientMiddlewareCall<unknown, unknown>, options: CallOptions & RetryCallOptions) {
    budget?.recordFirstAttempt();
    const started = scheduler.now();
    const idempotency = call.method.options.idempotencyLevel;
    const allowed = options.retry ?? (idempotency === 'IDEMPOTENT' || idempotency === 'NO_SIDE_EFFECTS');
    const maxAttempts = options.retryMaxAttempts ?? o.maxRetries;
    const existing = callContextOf(options);
    const context = existing ?? new CallContext(call.method.path);
    // Retries after a failure and retries after a paced refusal are counted apart (see below).
    let failureRetries = 0;
    let pacedRetries = 0;
    // Retries paid for when the balanced channel moved an attempt (see reserveReissue below).
    let prepaid = 0;
    const decide = (error: ClientError, attempt: number): void => {
      // An open breaker refuses the same way on the next attempt: its refusal is final.
      if (error instanceof BreakerOpenError) throw error;
      const pushback = context.pushbackMs;
      if (pushback !== undefined && (pushback < 0 || pushback > o.maxPushbackMs)) {
        logger.info({ method: call.method.path, attempt, pushback }, 'retry refused: server pushback');
        throw new RetryPushbackError(error);
      }
      // A shedding server refused before doing any work and said when to come back: following
      // its pushback, elsewhere, is how shedding moves work, and it costs the server a cheap
      // refusal. Such retries have their own limit (maxOverloadRetries) and no budget: the
      // budget guards against failing backends, and pays only for the other retries.
      const paced = error.code === Status.RESOURCE_EXHAUSTED && pushback !== undefined && pushback >= 0;
      if (paced ? pacedRetries++ >= o.maxOverloadRetries : failureRetries++ >= maxAttempts) throw error;
      if (!paced && prepaid > 0) prepaid--;
      else if (!paced && budget && !budget.tryRetry()) {
        // Logged on the transition only: under an outage every call would log it otherwise.
        if (!exhausted) logger.warn({ method: call.method.path, code: error.code }, 'retry budget exhausted');
        exhausted = true;
        context.note({ type: 'budget-refused', refused: 'retry' });
        throw new RetryBudgetExhaustedError(error);
      }
      if (exhausted) logger.info({ method: call.method.path }, 'retry budget available again');
      exhausted = false;
      context.retries++;
      logger.debug(
        { method: call.method.path, attempt, code: error.code, elapsedMs: scheduler.now() - started },
        'retrying',
      );
    };
    // An attempt in flight on an endpoint that is taken out may be cancelled and sent elsewhere
    // only if this layer will send it again.
    context.movable = allowed && maxAttempts > 0;
    context.reserveReissue = () => {
      if (failureRetries + prepaid >= maxAttempts || (budget && !budget.tryRetry())) return false;
      prepaid++;
      return true;
    };
    context.avoidFailed = o.failover;
    return { allowed, maxAttempts, context, created: existing === undefined, decide };
  }

  // Above the library's loop, once per call. It only prepares what goes down, so it hands back
  // the library's generator rather than wrapping it in one of its own.
  const gate: ClientMiddleware<RetryCallOptions> = (call, options) => {
    const { allowed, maxAttempts, context, created, decide } = prepare(
      call as ClientMiddlewareCall<unknown, unknown>,
      options,
    );
    const extra: Record<string | symbol, unknown> = {
      retryMaxAttempts: maxAttempts + o.maxOverloadRetries,
      // The per-attempt layer waits; the library's own Math.random backoff is switched off.
      retryBaseDelayMs: 0,
      retryMaxDelayMs: 0,
      retryableStatuses,
      onRetryableError: decide,
    };
    if (created) extra[CALL_CONTEXT] = context;
    if (o.readTrailers) {
      const callerOnTrailer = options.onTrailer;
      extra.onTrailer = (trailer: Parameters<NonNullable<CallOptions['onTrailer']>>[0]) => {
        context.pushbackMs = parsePushback(trailer.get(MetadataKeys.retryPushbackMs));
        callerOnTrailer?.(trailer);
      };
    }
    const next = extendOptions(options, extra) as CallOptions;
    if (call.requestStream || call.responseStream) {
      // The library's loop retries unary calls only; streams get their own (see retryStream). A
      // stream is never moved off its endpoint: once a message has arrived it cannot be re-issued.
      context.movable = false;
      return retryStream(call, next, {
        allowed,
        retryableCodes: retryableStatuses,
        maxReplayMessages: o.maxReplayMessages,
        decide,
        wait: (signal) => {
          const wait = Math.max(backoff.delayMs(context.retries - 1), context.pushbackMs ?? 0);
          context.pushbackMs = undefined;
          return wait > 0 ? scheduler.sleep(wait, signal) : undefined;
        },
      });
    }
    return call.next(call.request, next);
  };

  const middleware = chainMiddleware([
    gate as ClientMiddleware,
    retryMiddleware as ClientMiddleware,
    perAttempt,
  ]) as ClientMiddleware<RetryCallOptions>;
  return { middleware, budget };
}
