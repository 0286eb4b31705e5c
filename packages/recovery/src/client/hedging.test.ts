import { callContextOf } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { settle, setup } from './__tests__/hedging-fixture.js';

describe('hedging delay per method', () => {
  it("each method's backup waits for that method's own observed percentile", async () => {
    const { time, host, hedging, start } = setup(['a', 'b'], { percentile: 0.5 });
    for (let i = 0; i < 40; i++) {
      const fast = i % 2 === 0;
      const { result } = start(fast ? '/test.Service/Get' : '/test.Service/Scan');
      await settle();
      await time.advance(fast ? 4 : 40);
      host.attempts.at(-1)!.answer();
      await result;
    }
    expect(hedging.delayFor('/test.Service/Get')).toBe(4);
    expect(hedging.delayFor('/test.Service/Scan')).toBe(40);
    expect(hedging.delayFor('/test.Service/Other')).toBe(50);
  });
});

describe('hedging budget and limits', () => {
  /** `calls` calls one after another whose primary never answers; the backup answers at once. */
  async function slowPrimaries(h: ReturnType<typeof setup>, calls: number, gapMs = 0) {
    for (let i = 0; i < calls; i++) {
      const before = h.host.attempts.length;
      const { result } = h.start();
      await settle();
      await h.time.advance(10);
      const backup = h.host.attempts[before + 1];
      if (backup) backup.answer();
      else h.host.attempts[before]!.answer();
      await result;
      await h.time.advance(gapMs);
    }
  }

  it('caps backups as a share of calls (default 5 %, plus a small burst)', async () => {
    const h = setup(['a', 'b'], { delayMs: 5 });
    await slowPrimaries(h, 400);
    const { hedges, skipped } = h.hedging.stats();
    expect(hedges).toBeLessThanOrEqual(0.05 * 400 + 10);
    expect(hedges).toBeGreaterThanOrEqual(0.05 * 400);
    expect(hedges + skipped).toBe(400);
  });

  it('sends no backup when the endpoint working on the call is the only eligible one', async () => {
    const h = setup(['only'], { delayMs: 5 });
    await slowPrimaries(h, 3);
    expect(h.hedging.stats()).toMatchObject({ hedges: 0, skipped: 3 });
    expect(h.host.attempts).toHaveLength(3);
  });

  it('cancels losers on an endpoint only at its cancellation rate; past it, neither hedges nor cancels there', async () => {
    const h = setup(['slow', 'fast'], { delayMs: 5, maxShare: 1, maxCancelsPerSecond: 10, cancelBurst: 20 });
    // 200 calls in 2 s of fake time, each primary on "slow" losing to a backup on "fast".
    await slowPrimaries(h, 200);
    const cancelled = h.host.attempts.filter((a) => a.endpoint === 'slow' && a.aborted).length;
    const elapsedS = h.time.scheduler.now() / 1_000;
    expect(cancelled).toBeLessThanOrEqual(20 + 10 * elapsedS + 1);
    expect(cancelled).toBeGreaterThanOrEqual(20);
    // Backups were sent only while the primary's endpoint could take the cancel.
    expect(h.hedging.stats().hedges).toBe(cancelled);
  });

  it('a loser whose endpoint has no cancellation left is left to finish, its answer dropped', async () => {
    const h = setup(['slow', 'fast'], { delayMs: 5, maxShare: 1, maxCancelsPerSecond: 0, cancelBurst: 1 });
    // Call 1: the backup on "fast" wins, the primary on "slow" is cancelled (the one token).
    await slowPrimaries(h, 1);
    expect(h.host.attempts[0]!.aborted).toBe(true);
    // Call 2: "slow" has no cancellation left, so no backup; the primary answers itself.
    await slowPrimaries(h, 1);
    expect(h.hedging.stats().skipped).toBe(1);
    // Call 3: the primary goes to "fast" this time.
    h.host.order = ['fast', 'slow'];
    const { result } = h.start();
    await settle();
    await h.time.advance(10);
    // Backup went to "slow"; the primary on "fast" wins, and the loser on "slow" is left running.
    expect(h.host.attempts.map((a) => a.endpoint)).toEqual(['slow', 'fast', 'slow', 'fast', 'slow']);
    expect(h.hedging.stats().hedges).toBe(2);
    h.host.attempts[3]!.answer();
    await expect(result).resolves.toBe('served by fast');
    expect(h.host.attempts[4]!.aborted).toBe(false);
    expect(h.hedging.stats().lossesLeftRunning).toBe(1);
    h.host.attempts[4]!.answer();
  });
});

describe('hedging that only ever helps', () => {
  /** `calls` calls whose primary answers just after the delay, before any backup could; backups sent. */
  async function lateButFirst(h: ReturnType<typeof setup>, calls: number): Promise<number> {
    const before = h.hedging.stats().hedges;
    for (let i = 0; i < calls; i++) {
      const first = h.host.attempts.length;
      const { result } = h.start();
      await settle();
      await h.time.advance(6);
      h.host.attempts[first]!.answer();
      await result;
      // The losing backup, if one went, was cancelled by the hedging layer.
    }
    return h.hedging.stats().hedges - before;
  }

  it('a backup that never wins stops being sent, but for rare probes', async () => {
    const h = setup(['a', 'b'], { delayMs: 5, maxShare: 1 });
    const early = await lateButFirst(h, 100);
    const late = await lateButFirst(h, 200);
    // Every backup goes until the method's win rate falls below 20 % (32 losses), then 1 in 20.
    expect(early).toBeGreaterThanOrEqual(32);
    expect(early).toBeLessThanOrEqual(32 + 0.05 * 68 + 1);
    expect(late).toBeLessThanOrEqual(0.05 * 200 + 1);
    expect(late).toBeGreaterThanOrEqual(1);
    expect(h.hedging.winRate('/test.Service/Get')).toBeLessThan(0.2);
    expect(h.hedging.stats().skippedBecause['backups-losing']).toBe(300 - early - late);
  });

  it('sends no bet while the client event loop is behind, and resumes when it catches up', async () => {
    // Saturated: a callback waits ≥ a quarter of the 5 ms delay.
    const h = setup(['a', 'b'], { delayMs: 5, maxShare: 1 });
    h.lag.ms = 2;
    expect(await lateButFirst(h, 10)).toBe(0);
    expect(h.hedging.stats()).toMatchObject({ skippedBecause: { 'client-saturated': 10 }, loopLagMs: 2 });
    h.lag.ms = 1;
    expect(await lateButFirst(h, 10)).toBe(10);
  });

  it('stands aside while the client is saturated: a call that starts then is not made ready for any backup', async () => {
    const h = setup(['slow', 'fast'], { delayMs: 8, maxShare: 1 });
    expectLikelyWinner(h);
    h.lag.busy = 0.95;
    const busy = h.start();
    await settle();
    // No deadline armed: not even the backup the balancer would expect to win.
    expect(h.time.scheduler.pending).toBe(0);
    await h.time.advance(20);
    expect(h.host.attempts.map((a) => a.endpoint)).toEqual(['slow']);
    h.host.attempts[0]!.answer();
    await expect(busy.result).resolves.toBe('served by slow');
    expect(h.hedging.stats()).toMatchObject({ calls: 0, passedBusy: 1, hedges: 0 });

    // Room again: the next call is hedged as before.
    h.lag.busy = 0.5;
    const roomy = h.start();
    await settle();
    await h.time.advance(10);
    expect(h.host.attempts.map((a) => a.endpoint)).toEqual(['slow', 'slow', 'fast']);
    h.host.attempts[2]!.answer();
    await expect(roomy.result).resolves.toBe('served by fast');
    expect(h.hedging.stats()).toMatchObject({ calls: 1, passedBusy: 1, hedges: 1, hedgesLikely: 1 });
  });

  it('sends a backup the balancer expects to win even then', async () => {
    const h = setup(['slow', 'fast'], { delayMs: 8, maxShare: 1 });
    h.lag.ms = 4;
    expectLikelyWinner(h);
    const { result } = h.start();
    await settle();
    await h.time.advance(10);
    expect(h.host.attempts.map((a) => a.endpoint)).toEqual(['slow', 'fast']);
    h.host.attempts[1]!.answer();
    await expect(result).resolves.toBe('served by fast');
    expect(h.hedging.stats()).toMatchObject({ hedges: 1, hedgesLikely: 1, hedgeWins: 1 });
  });
});

/** The balanced channel's part below: every attempt gets latency estimates where "slow" is 50× "fast". */
function expectLikelyWinner(h: ReturnType<typeof setup>): void {
  const layer = h.host.layer;
  const table: Record<string, number> = { slow: 50, fast: 1 };
  h.host.layer = (call, options) => {
    callContextOf(options)!.estimates = {
      of: (id) => table[id],
      bestExcept: (avoid) =>
        Math.min(
          ...Object.keys(table)
            .filter((id) => !avoid.has(id))
            .map((id) => table[id]!),
        ),
    };
    return layer(call, options);
  };
}
