import { CALL_CONTEXT, CallContext, callContextOf, classify } from '@ballast/core';
import {
  ClientError,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ClientMiddlewareCall,
} from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { chainMiddleware } from './chain-middleware.js';
import { BreakerOpenError, RetryBudgetExhaustedError, RetryPushbackError } from '../errors.js';
import { createHedging } from './hedging.js';
import { RetryBudget } from './retry-budget.js';
import { createRetry } from './retry.js';

// Retry and hedging over a fake host: a scripted channel that does what the balanced channel does
// with a CallContext (pick avoiding context.avoid(), record each attempt's endpoint, code, signal and
// pushback), with no network and no timers of its own.

type Answer = { code: number; pushbackMs?: number } | 'hang';

interface FakeHost {
  readonly layer: ClientMiddleware;
  /** Endpoint of each attempt, in order. */
  readonly picks: string[];
  /** Contexts seen, one per logical call. */
  readonly contexts: Set<CallContext>;
}

/** Picks the first of `endpoints` the call does not avoid; answers from `script(endpoint, n)`. */
function fakeHost(endpoints: readonly string[], script: (endpoint: string, attempt: number) => Answer): FakeHost {
  const picks: string[] = [];
  const contexts = new Set<CallContext>();
  const layer: ClientMiddleware = (call, options) => {
    const context = callContextOf(options)!;
    contexts.add(context);
    const avoid = context.avoid();
    const endpoint = endpoints.find((e) => !avoid.has(e)) ?? endpoints[0]!;
    const record = context.begin(endpoint);
    picks.push(endpoint);
    const answer = script(endpoint, picks.length);
    return (async function* attempt() {
      yield* [];
      if (answer === 'hang') {
        await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve()));
        Object.assign(record, { code: Status.CANCELLED, signal: 'cancelled' });
        throw new ClientError(call.method.path, Status.CANCELLED, 'cancelled');
      }
      Object.assign(record, { code: answer.code, signal: classify(answer.code) });
      context.pushbackMs = answer.pushbackMs;
      if (answer.code !== Status.OK) throw new ClientError(call.method.path, answer.code, `${endpoint} says no`);
      return `served by ${endpoint}`;
    })() as never;
  };
  return { layer, picks, contexts };
}

const idempotent = {
  path: '/test.Service/Get',
  requestStream: false,
  responseStream: false,
  options: { idempotencyLevel: 'IDEMPOTENT' },
} as const;
const sideEffects = { ...idempotent, path: '/test.Service/Post', options: {} } as const;

function run(layers: ClientMiddleware[], method: typeof idempotent | typeof sideEffects, options: CallOptions = {}) {
  const chain = chainMiddleware(layers);
  const call = {
    method,
    requestStream: false,
    request: 'req',
    responseStream: false,
    next: () => {
      throw new Error('the fake host answers every attempt');
    },
  } as unknown as ClientMiddlewareCall<unknown, unknown>;
  const context = new CallContext(method.path);
  const iterator = chain(call, { ...options, [CALL_CONTEXT]: context } as CallOptions)[Symbol.asyncIterator]();
  return {
    context,
    result: iterator.next().then((r) => r.value as string),
  };
}

const quick = { backoff: { baseMs: 0, maxMs: 0 }, budget: false as const, readTrailers: false };

describe('retry over the call context', () => {
  it('sends each retry to an endpoint this call has not failed on, and marks the call movable', async () => {
    const host = fakeHost(['a', 'b', 'c'], (endpoint) => ({ code: endpoint === 'c' ? Status.OK : Status.UNAVAILABLE }));
    const retry = createRetry({ ...quick, maxRetries: 3 });
    const { context, result } = run([retry.middleware, host.layer], idempotent);
    await expect(result).resolves.toBe('served by c');
    expect(host.picks).toEqual(['a', 'b', 'c']);
    expect(context.retries).toBe(2);
    expect(context.movable).toBe(true);
    expect(context.attempts.map((a) => a.signal)).toEqual(['endpoint-failing', 'endpoint-failing', 'ok']);
  });

  it('a method without idempotency is tried once and its attempts may not move', async () => {
    const host = fakeHost(['a', 'b'], () => ({ code: Status.UNAVAILABLE }));
    const { context, result } = run([createRetry(quick).middleware, host.layer], sideEffects);
    await expect(result).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(host.picks).toEqual(['a']);
    expect(context.movable).toBe(false);
  });

  it('follows a shedding server elsewhere, but never retries a request problem', async () => {
    const shed = fakeHost(['a', 'b'], (endpoint) => ({
      code: endpoint === 'a' ? Status.RESOURCE_EXHAUSTED : Status.OK,
      pushbackMs: endpoint === 'a' ? 0 : undefined,
    }));
    await expect(run([createRetry(quick).middleware, shed.layer], idempotent).result).resolves.toBe('served by b');
    const wrong = fakeHost(['a', 'b'], () => ({ code: Status.NOT_FOUND }));
    await expect(run([createRetry(quick).middleware, wrong.layer], idempotent).result).rejects.toMatchObject({
      code: Status.NOT_FOUND,
    });
    expect(wrong.picks).toEqual(['a']);
  });

  it('retries after a paced refusal spend no budget and have their own limit', async () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0 });
    let shed = 3;
    const host = fakeHost(['a', 'b'], () =>
      shed-- > 0 ? { code: Status.RESOURCE_EXHAUSTED, pushbackMs: 0 } : { code: Status.OK },
    );
    const retry = createRetry({ ...quick, budget, maxRetries: 0, maxOverloadRetries: 3 });
    await expect(run([retry.middleware, host.layer], idempotent).result).resolves.toMatch(/served by/);
    expect(host.picks).toHaveLength(4);
    expect(budget.stats().retries).toBe(0);
    const always = fakeHost(['a', 'b'], () => ({ code: Status.RESOURCE_EXHAUSTED, pushbackMs: 0 }));
    const limited = createRetry({ ...quick, maxOverloadRetries: 2, maxRetries: 0 });
    await expect(run([limited.middleware, always.layer], idempotent).result).rejects.toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
    });
    expect(always.picks).toHaveLength(3);
  });

  it('a negative pushback refuses the retry', async () => {
    const host = fakeHost(['a', 'b'], () => ({ code: Status.RESOURCE_EXHAUSTED, pushbackMs: -1 }));
    await expect(run([createRetry(quick).middleware, host.layer], idempotent).result).rejects.toBeInstanceOf(
      RetryPushbackError,
    );
    expect(host.picks).toEqual(['a']);
  });

  it('an exhausted budget refuses the retry', async () => {
    const host = fakeHost(['a', 'b'], () => ({ code: Status.UNAVAILABLE }));
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0 });
    const retry = createRetry({ ...quick, budget });
    await expect(run([retry.middleware, host.layer], idempotent).result).rejects.toBeInstanceOf(
      RetryBudgetExhaustedError,
    );
    expect(host.picks).toEqual(['a']);
  });

  it("an open breaker's refusal below the retry is final", async () => {
    let refusals = 0;
    const breaker: ClientMiddleware = (call) => {
      refusals++;
      return (async function* refused() {
        yield* [];
        throw new BreakerOpenError(call.method.path, 'b', 1000);
      })() as never;
    };
    const retry = createRetry({ ...quick, maxRetries: 5 });
    await expect(run([retry.middleware, breaker], idempotent).result).rejects.toBeInstanceOf(BreakerOpenError);
    expect(refusals).toBe(1);
  });
});

describe('hedging over the call context', () => {
  it('sends the backup to another endpoint than the one still working on the call; the first answer wins', async () => {
    const host = fakeHost(['slow', 'fast'], (endpoint) => (endpoint === 'slow' ? 'hang' : { code: Status.OK }));
    const hedging = createHedging({ delayMs: 0 });
    const { context, result } = run([hedging.middleware, host.layer], idempotent);
    await expect(result).resolves.toBe('served by fast');
    expect(host.picks).toEqual(['slow', 'fast']);
    expect(host.contexts.size).toBe(1);
    expect(context.hedges).toBe(1);
    // The loser was cancelled: no signal against it.
    await expect.poll(() => context.attempts[0]!.signal).toBe('cancelled');
  });
});
