import { describe, expect, it } from 'vitest';
import { InvalidRecoveryOptionError } from '../errors.js';
import { VegasLimit } from './vegas-limit.js';

const options = { initialLimit: 20, maxLimit: 200, probeEverySamples: 100_000, random: () => 0 };

describe('VegasLimit', () => {
  it('learns the no-load RTT from the fastest sample', () => {
    const limit = new VegasLimit(options);
    limit.onSample({ rttMs: 10, inFlight: 20, dropped: false });
    limit.onSample({ rttMs: 8, inFlight: 20, dropped: false });
    expect(limit.noLoadRttMs).toBe(8);
    expect(limit.limit).toBe(20);
  });

  it('grows by beta while latency stays at the no-load RTT and the limit is used', () => {
    const limit = new VegasLimit(options);
    limit.onSample({ rttMs: 10, inFlight: 20, dropped: false });
    limit.onSample({ rttMs: 10, inFlight: 20, dropped: false });
    // queue = ceil(20 × (1 − 10/10)) = 0 ≤ log10(20) → +6·log10(20) ≈ +7.8
    expect(limit.limit).toBe(Math.floor(20 + 6 * Math.log10(20)));
  });

  it('does not grow when application-limited (in flight < limit / 2)', () => {
    const limit = new VegasLimit(options);
    limit.onSample({ rttMs: 10, inFlight: 1, dropped: false });
    for (let i = 0; i < 50; i++) limit.onSample({ rttMs: 10, inFlight: 5, dropped: false });
    expect(limit.limit).toBe(20);
  });

  it('shrinks while latency shows a queue, down to a floor, and recovers when the queue clears', () => {
    const limit = new VegasLimit({ ...options, initialLimit: 100, minLimit: 4 });
    limit.onSample({ rttMs: 10, inFlight: 100, dropped: false });
    const trace: number[] = [];
    for (let i = 0; i < 200; i++) trace.push(limit.onSample({ rttMs: 40, inFlight: 100, dropped: false }));
    // each step the limit never rises while the queue estimate is above beta
    for (let i = 1; i < trace.length; i++) expect(trace[i]!).toBeLessThanOrEqual(trace[i - 1]!);
    const shrunk = limit.limit;
    expect(shrunk).toBeLessThan(30);
    expect(shrunk).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 20; i++) limit.onSample({ rttMs: 10, inFlight: 100, dropped: false });
    expect(limit.limit).toBeGreaterThan(shrunk);
  });

  it('a drop shrinks the limit by log10(limit)', () => {
    const limit = new VegasLimit({ ...options, initialLimit: 100 });
    limit.onSample({ rttMs: 10, inFlight: 1, dropped: false });
    limit.onSample({ rttMs: 30, inFlight: 1, dropped: true });
    expect(limit.limit).toBe(98);
  });

  it('validates options', () => {
    expect(() => new VegasLimit({ minLimit: 10, maxLimit: 5 })).toThrow(InvalidRecoveryOptionError);
    expect(() => new VegasLimit({ initialLimit: 0 })).toThrow(/limiter\.initialLimit/);
  });
});
