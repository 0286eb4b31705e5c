import { CALL_CONTEXT, CallContext } from '@ballast/core';
import type { CallOptions, ClientMiddlewareCall } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { settle, setup } from './__tests__/hedging-fixture.js';

// What a hedged call must keep however little it allocates: backups at the delay, losers
// cancelled within the cancellation cap, the caller's abort reaching every attempt, and no timer
// left behind once the call is over.

describe('a hedged call on a transport that cancels attempts itself', () => {
  it('sends the primary on the caller’s own signal once the transport is known, and still cancels it when it loses', async () => {
    const h = setup(['slow', 'fast'], { delayMs: 5, maxShare: 1 }, true);
    const caller = new AbortController();
    // The first call teaches hedging that the transport below can cancel each attempt.
    const first = h.start('/test.Service/Get', caller.signal);
    await settle();
    h.host.attempts[0]!.answer();
    await first.result;
    expect(h.host.attempts[0]!.signal).not.toBe(caller.signal);

    const second = h.start('/test.Service/Get', caller.signal);
    await settle();
    await h.time.advance(4);
    expect(h.host.attempts).toHaveLength(2);
    expect(h.host.attempts[1]!.signal).toBe(caller.signal);
    await h.time.advance(1);
    // The backup goes exactly at the delay, on a signal of its own.
    expect(h.host.attempts.map((a) => a.endpoint)).toEqual(['slow', 'slow', 'fast']);
    expect(h.host.attempts[2]!.signal).not.toBe(caller.signal);
    h.host.attempts[2]!.answer();
    await expect(second.result).resolves.toBe('served by fast');
    expect(h.host.attempts[1]!.aborted).toBe(true);
    expect(caller.signal.aborted).toBe(false);
    expect(h.time.scheduler.pending).toBe(0);
  });

  it('cancels losing primaries only within their endpoint’s cancellation cap', async () => {
    const h = setup(['slow', 'fast'], { delayMs: 5, maxShare: 1, maxCancelsPerSecond: 10, cancelBurst: 20 }, true);
    for (let i = 0; i < 100; i++) {
      const before = h.host.attempts.length;
      const { result } = h.start();
      await settle();
      await h.time.advance(10);
      (h.host.attempts[before + 1] ?? h.host.attempts[before]!).answer();
      await result;
    }
    const cancelled = h.host.attempts.filter((a) => a.endpoint === 'slow' && a.aborted).length;
    const elapsedS = h.time.scheduler.now() / 1_000;
    expect(cancelled).toBeGreaterThanOrEqual(20);
    expect(cancelled).toBeLessThanOrEqual(20 + 10 * elapsedS + 1);
    expect(h.hedging.stats()).toMatchObject({ hedges: cancelled, hedgeWins: cancelled, lossesLeftRunning: 0 });
  });

  it('passes the caller’s abort to the primary and to every backup', async () => {
    const h = setup(['a', 'b', 'c'], { delayMs: 5, maxShare: 1, maxHedges: 2 }, true);
    const warm = h.start();
    await settle();
    h.host.attempts[0]!.answer();
    await warm.result;
    const caller = new AbortController();
    const { result } = h.start('/test.Service/Get', caller.signal);
    await settle();
    await h.time.advance(10);
    expect(h.host.attempts.slice(1).map((a) => a.endpoint)).toEqual(['a', 'b', 'c']);
    caller.abort();
    await expect(result).rejects.toThrow();
    expect(h.host.attempts.slice(1).every((a) => a.aborted)).toBe(true);
    expect(h.time.scheduler.pending).toBe(0);
  });
});

describe('no timer outlives its call', () => {
  it('leaves none pending after calls that answer before the delay, win by a backup, fail, or are hedged no more', async () => {
    const h = setup(['a', 'b'], { delayMs: 5, maxShare: 1, maxHedges: 1 });
    const quick = h.start();
    await settle();
    expect(h.time.scheduler.pending).toBe(1);
    h.host.attempts[0]!.answer();
    await quick.result;
    expect(h.time.scheduler.pending).toBe(0);

    // Many calls at once share one timer.
    const many = Array.from({ length: 10 }, () => h.start());
    await settle();
    expect(h.time.scheduler.pending).toBe(1);
    for (const attempt of h.host.attempts.slice(1)) attempt.answer();
    await Promise.all(many.map((c) => c.result));
    expect(h.time.scheduler.pending).toBe(0);

    const hedged = h.start();
    await settle();
    await h.time.advance(5);
    expect(h.host.attempts).toHaveLength(13);
    // maxHedges reached: nothing more to wait for while both attempts run.
    expect(h.time.scheduler.pending).toBe(0);
    h.host.attempts[12]!.answer();
    await hedged.result;

    const caller = new AbortController();
    const aborted = h.start('/test.Service/Get', caller.signal);
    await settle();
    caller.abort();
    await expect(aborted.result).rejects.toThrow();
    expect(h.time.scheduler.pending).toBe(0);
  });

  it('fires the deadlines of calls with different delays each at its own time', async () => {
    const h = setup(['a', 'b'], { delayMs: 'adaptive', initialDelayMs: 30, maxShare: 1 });
    const slowMethod = h.start('/test.Service/Scan');
    await h.time.advance(10);
    const fastMethod = h.start('/test.Service/Get');
    await settle();
    // Both methods start at the initial delay: 30 ms after their own start.
    await h.time.advance(19);
    expect(h.host.attempts).toHaveLength(2);
    await h.time.advance(1);
    expect(h.host.attempts.map((a) => a.method)).toEqual([
      '/test.Service/Scan',
      '/test.Service/Get',
      '/test.Service/Scan',
    ]);
    await h.time.advance(10);
    expect(h.host.attempts.map((a) => a.method).at(-1)).toBe('/test.Service/Get');
    h.host.attempts[2]!.answer();
    h.host.attempts[3]!.answer();
    await Promise.all([slowMethod.result, fastMethod.result]);
    expect(h.time.scheduler.pending).toBe(0);
  });
});

describe('a hedged call read as the answer of a unary middleware', () => {
  it('sends nothing until it is read, and nothing at all when the reader returns first', async () => {
    const h = setup(['a', 'b'], { delayMs: 5, maxShare: 1 });
    const call = {
      method: {
        path: '/test.Service/Get',
        requestStream: false,
        responseStream: false,
        options: { idempotencyLevel: 'IDEMPOTENT' },
      },
      requestStream: false,
      request: 'req',
      responseStream: false,
      next: (request: unknown, options: CallOptions) => h.host.layer({ ...call, request } as never, options),
    } as unknown as ClientMiddlewareCall<unknown, unknown>;
    const options = { [CALL_CONTEXT]: new CallContext('/test.Service/Get') } as CallOptions;

    const unread = h.hedging.middleware(call, options);
    await settle();
    expect(h.host.attempts).toHaveLength(0);
    await expect(unread.return(undefined as never)).resolves.toEqual({ done: true, value: undefined });
    await expect(unread.next()).resolves.toEqual({ done: true, value: undefined });
    expect(h.host.attempts).toHaveLength(0);
    expect(h.time.scheduler.pending).toBe(0);

    const read = h.hedging.middleware(call, options);
    const answer = read.next();
    await settle();
    expect(h.host.attempts).toHaveLength(1);
    h.host.attempts[0]!.answer();
    await expect(answer).resolves.toEqual({ done: true, value: 'served by a' });
    // Read again: as a finished generator, nothing more, and no second call.
    await expect(read.next()).resolves.toEqual({ done: true, value: undefined });
    expect(h.host.attempts).toHaveLength(1);
  });
});

describe('a backup whose delay passed while the client was busy', () => {
  it('is decided after the answers that arrived by then are read: none when the primary has answered', async () => {
    const h = setup(['a', 'b'], { delayMs: 5, maxShare: 1 });
    const { result } = h.start();
    await settle();
    // The timer fires (as after a stall) and, in the same turn, the primary's answer is read.
    h.time.scheduler.advance(5);
    h.host.attempts[0]!.answer();
    await settle();
    await expect(result).resolves.toBe('served by a');
    expect(h.host.attempts).toHaveLength(1);
    expect(h.hedging.stats()).toMatchObject({ hedges: 0, skipped: 0 });

    // A primary still silent once the answers are read gets its backup.
    const late = h.start();
    await settle();
    h.time.scheduler.advance(5);
    await settle();
    expect(h.host.attempts.map((a) => a.endpoint)).toEqual(['a', 'a', 'b']);
    h.host.attempts[2]!.answer();
    await expect(late.result).resolves.toBe('served by b');
  });
});
