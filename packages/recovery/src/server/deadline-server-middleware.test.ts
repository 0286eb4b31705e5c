import { MetadataKeys, VirtualScheduler } from '@ballast/core';
import { Metadata, ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { currentDeadline } from '../current-deadline.js';
import { createDeadlineServerMiddleware } from './deadline-server-middleware.js';

const { timeoutMs: TIMEOUT_METADATA_KEY, deadlineAt: DEADLINE_METADATA_KEY } = MetadataKeys;

const START = 1_700_000_000_000;

/** Runs the middleware over a handler that takes `workMs` of virtual time unless its signal aborts. */
function handle(scheduler: VirtualScheduler, metadata: Record<string, string>, workMs: number) {
  const middleware = createDeadlineServerMiddleware({ scheduler, wallClock: scheduler });
  const seen: { deadlineAt?: number; aborted?: boolean } = {};
  const call = {
    method: { path: '/s/Slow', requestStream: false, responseStream: false },
    request: {},
    // eslint-disable-next-line require-yield -- a unary handler returns its answer and yields nothing
    async *next(_request: unknown, context: CallContext) {
      seen.deadlineAt = currentDeadline()?.at;
      try {
        await scheduler.sleep(workMs, context.signal);
      } finally {
        seen.aborted = context.signal.aborted;
      }
      return 'answered';
    },
  } as unknown as ServerMiddlewareCall<unknown, unknown>;
  const context = { metadata: Metadata(metadata), signal: new AbortController().signal } as unknown as CallContext;
  const result = middleware(call, context).next();
  result.catch(() => undefined);
  return { result, seen };
}

describe('deadline propagation on the server (virtual time)', () => {
  it("aborts the handler's signal when the caller's remaining time runs out, and answers DEADLINE_EXCEEDED", async () => {
    const scheduler = new VirtualScheduler(START);
    const { result, seen } = handle(scheduler, { [TIMEOUT_METADATA_KEY]: '1000' }, 5_000);
    await scheduler.advanceAsync(999);
    expect(seen).toEqual({ deadlineAt: START + 1_000 });
    await scheduler.advanceAsync(1);
    await expect(result).rejects.toSatisfy(
      (e) => e instanceof ServerError && e.code === Status.DEADLINE_EXCEEDED && /deadline passed/.test(e.details),
    );
    expect(seen.aborted).toBe(true);
    expect(scheduler.pending).toBe(0);
  });

  it('takes the earlier of the relative timeout and an absolute grpc-timeout deadline; work that ends first is untouched', async () => {
    const scheduler = new VirtualScheduler(START);
    const { result, seen } = handle(
      scheduler,
      { [TIMEOUT_METADATA_KEY]: '5000', [DEADLINE_METADATA_KEY]: String(START + 300) },
      200,
    );
    await scheduler.advanceAsync(200);
    await expect(result).resolves.toEqual({ done: true, value: 'answered' });
    expect(seen).toEqual({ deadlineAt: START + 300, aborted: false });
    expect(scheduler.pending).toBe(0);
  });
});
