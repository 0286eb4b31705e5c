import { ManualClock, type LatencyEstimates } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { HedgeGate, type BackupDue, type HedgeGateOptions } from './hedge-gate.js';

// The decision alone, with an injected clock, event-loop lag and balancer estimates.

function gate(options: Partial<HedgeGateOptions> = {}) {
  const lag = { ms: 0, busy: 0.5 };
  const g = new HedgeGate({
    maxShare: 1,
    burst: 10,
    maxCancelsPerSecond: 20,
    cancelBurst: 200,
    budget: undefined,
    clock: new ManualClock(0),
    loopLoad: { lagMs: () => lag.ms, utilization: () => lag.busy, close: () => {} },
    maxLoopLagRatio: 0.25,
    maxLoopUtilization: 0.9,
    minWinRate: 0.2,
    winWindow: 20,
    probeShare: 0.05,
    likelyWinFactor: 2,
    ...options,
  });
  return { g, lag };
}

/** Estimates of a fixed table: endpoint id → typical latency, ms. */
function estimates(table: Record<string, number>): LatencyEstimates {
  return {
    of: (id) => table[id],
    bestExcept: (avoid) => {
      const left = Object.entries(table).filter(([id]) => !avoid.has(id));
      return left.length === 0 ? undefined : Math.min(...left.map(([, ms]) => ms));
    },
  };
}

function due(partial: Partial<BackupDue> = {}): BackupDue {
  return {
    method: '/test.Service/Get',
    delayMs: 10,
    primary: 'a',
    eligible: 3,
    avoid: new Set([partial.primary ?? 'a']),
    estimates: undefined,
    ...partial,
  };
}

/** `n` decisions in a row, each call earning its share first; the number of backups sent. */
function sent(g: HedgeGate, n: number, d: BackupDue = due()): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    g.onCall();
    if (g.decide(d).send) count++;
  }
  return count;
}

describe('HedgeGate: a saturated client', () => {
  it('holds backups back while the event-loop delay is ≥ a quarter of the hedge delay', () => {
    const { g, lag } = gate();
    lag.ms = 2;
    expect(g.decide(due({ delayMs: 10 }))).toEqual({ send: true, likely: false });
    lag.ms = 2.5;
    expect(g.decide(due({ delayMs: 10 }))).toEqual({ send: false, why: 'client-saturated' });
    // The same lag beside a longer delay is not the client's queue.
    expect(g.decide(due({ delayMs: 40 }))).toEqual({ send: true, likely: false });
  });

  it('holds backups back while the event loop is busy 90 % of the time or more', () => {
    const { g, lag } = gate();
    lag.busy = 0.89;
    expect(g.decide(due()).send).toBe(true);
    lag.busy = 0.95;
    expect(g.decide(due())).toEqual({ send: false, why: 'client-saturated' });
  });

  it('never reads the loop when told not to', () => {
    const { g, lag } = gate({ maxLoopLagRatio: 0, maxLoopUtilization: 0 });
    lag.ms = 1_000;
    lag.busy = 1;
    expect(g.decide(due()).send).toBe(true);
  });
});

describe('HedgeGate: backups that lose', () => {
  it("thins a method's backups to the probe share once they keep losing, and only that method's", () => {
    const { g } = gate();
    expect(sent(g, 20)).toBe(20);
    // 32 losses in a row take the rate, an average over about 20 backups, below 20 %.
    for (let i = 0; i < 40; i++) g.betEnded('/test.Service/Get', false);
    expect(g.winRate('/test.Service/Get')).toBeLessThan(0.2);
    // 1 in 20 still goes, so a change is noticed.
    expect(sent(g, 400)).toBe(20);
    expect(sent(g, 20, due({ method: '/test.Service/Other' }))).toBe(20);
  });

  it('sends every backup again once they win again', () => {
    const { g } = gate();
    for (let i = 0; i < 200; i++) g.betEnded('/test.Service/Get', false);
    // Half of the recent backups winning: above the 20 % bar, every backup goes.
    for (let i = 0; i < 200; i++) g.betEnded('/test.Service/Get', i % 2 === 0);
    expect(g.winRate('/test.Service/Get')).toBeGreaterThan(0.4);
    expect(sent(g, 100)).toBe(100);
  });

  it('with minWinRate 0 never thins them', () => {
    const { g } = gate({ minWinRate: 0 });
    for (let i = 0; i < 200; i++) g.betEnded('/test.Service/Get', false);
    expect(sent(g, 100)).toBe(100);
  });
});

describe('HedgeGate: a backup the balancer expects to win', () => {
  const slowPrimary = estimates({ a: 50, b: 1, c: 1.2 });

  it('goes even when the client is saturated and the method’s bets have been losing', () => {
    const { g, lag } = gate();
    lag.ms = 100;
    for (let i = 0; i < 200; i++) g.betEnded('/test.Service/Get', false);
    expect(g.decide(due({ estimates: slowPrimary }))).toEqual({ send: true, likely: true });
    // The same call on a fast primary is a bet, and held back.
    expect(g.decide(due({ primary: 'b', estimates: slowPrimary }))).toEqual({ send: false, why: 'client-saturated' });
  });

  it('needs the primary slower by the factor and by more than the delay already waited', () => {
    const { g } = gate();
    expect(g.likelyToWin(due({ delayMs: 10, estimates: estimates({ a: 12, b: 5 }) }))).toBe(false); // 2.4× but 7 ms
    expect(g.likelyToWin(due({ delayMs: 5, estimates: estimates({ a: 12, b: 5 }) }))).toBe(true);
    expect(g.likelyToWin(due({ delayMs: 1, estimates: estimates({ a: 9, b: 5 }) }))).toBe(false); // 1.8×
    // Only endpoints the backup may go to count: the best one is avoided here.
    const avoid = new Set(['a', 'b']);
    expect(g.likelyToWin(due({ delayMs: 1, avoid, estimates: estimates({ a: 12, b: 1, c: 11 }) }))).toBe(false);
    // No estimate of the primary (not measured yet, or a policy without latencies): a bet.
    expect(g.likelyToWin(due({ estimates: estimates({ b: 1 }) }))).toBe(false);
  });

  it('still keeps the share of calls, the endpoints available and the cancellation rate', () => {
    const { g } = gate({ maxShare: 0, burst: 1 });
    expect(g.decide(due({ estimates: slowPrimary })).send).toBe(true);
    expect(g.decide(due({ estimates: slowPrimary }))).toEqual({ send: false, why: 'share-spent' });
    const alone = gate();
    const onlyOne = due({ eligible: 1, estimates: slowPrimary });
    expect(alone.g.decide(onlyOne)).toEqual({ send: false, why: 'no-other-endpoint' });
    const spent = gate({ cancelBurst: 1, maxCancelsPerSecond: 0 });
    expect(spent.g.cancels.tryTake('a')).toBe(true);
    expect(spent.g.decide(due({ estimates: slowPrimary }))).toEqual({ send: false, why: 'cancel-rate' });
  });
});
