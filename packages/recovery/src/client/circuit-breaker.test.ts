import { ManualClock } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { sreRejectProbability } from './sre-throttle.js';
import { CircuitBreaker, type BreakerTransition } from './circuit-breaker.js';
import { createEndpointBreakers } from './endpoint-breakers.js';
import { createMethodBreakers } from './method-breakers.js';
import { InvalidRecoveryOptionError } from '../errors.js';

function breaker(policy: ConstructorParameters<typeof CircuitBreaker>[0]['policy'], clock = new ManualClock()) {
  const events: BreakerTransition[] = [];
  const b = new CircuitBreaker({ name: 'b', policy, openMs: 1_000, clock, random: () => 0.5 });
  b.onStateChange((e) => events.push(e));
  return { b, events, clock };
}

describe('CircuitBreaker', () => {
  it('consecutive: opens after N failures in a row, half-opens after openMs, closes on a good probe', () => {
    const { b, events, clock } = breaker({ type: 'consecutive', failures: 3 });
    b.record(false);
    b.record(false);
    b.record(true); // resets the streak
    b.record(false);
    b.record(false);
    expect(b.state.type).toBe('closed');
    b.record(false);
    expect(b.state.type).toBe('open');
    expect(b.tryAcquire()).toEqual({ allowed: false, retryInMs: 1_000 });
    clock.advance(999);
    expect(b.tryAcquire().allowed).toBe(false);
    clock.advance(1);
    expect(b.state.type).toBe('half-open');
    const probe = b.tryAcquire();
    expect(probe).toEqual({ allowed: true, probe: true });
    expect(b.tryAcquire().allowed).toBe(false); // one probe at a time
    b.record(true, true);
    expect(b.state.type).toBe('closed');
    expect(events.map((e) => `${e.from}>${e.to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
    expect(events[0]!.reason).toBe('3 consecutive failures');
  });

  it('a failed probe re-opens for another openMs', () => {
    const { b, clock } = breaker({ type: 'consecutive', failures: 1 });
    b.record(false);
    clock.advance(1_000);
    expect(b.tryAcquire()).toEqual({ allowed: true, probe: true });
    b.record(false, true);
    expect(b.state).toMatchObject({ type: 'open', until: 2_000, reason: 'a half-open probe failed' });
  });

  it('sampling: waits for the minimum volume, then opens at the failure rate', () => {
    const { b, clock } = breaker({ type: 'sampling', windowMs: 10_000, minVolume: 10, failureRate: 0.5 });
    for (let i = 0; i < 5; i++) b.record(false);
    expect(b.state.type).toBe('closed'); // 100 % failures but only 5 calls
    for (let i = 0; i < 4; i++) b.record(true);
    expect(b.state.type).toBe('closed'); // 9 calls
    b.record(true);
    expect(b.state.type).toBe('closed'); // 10 calls at 50 %, but only a failure trips it
    b.record(false);
    expect(b.state.type).toBe('open');
    clock.advance(1_000);
    b.tryAcquire();
    b.record(true, true);
    expect(b.state.type).toBe('closed');
    // history was reset on close: old failures do not count
    b.record(false);
    expect(b.state.type).toBe('closed');
  });

  it('sampling: failures that slid out of the window are forgotten', () => {
    const { b, clock } = breaker({ type: 'sampling', windowMs: 1_000, minVolume: 4, failureRate: 0.75 });
    for (let i = 0; i < 3; i++) b.record(false);
    clock.advance(2_000);
    b.record(false);
    expect(b.state.type).toBe('closed');
  });

  it('sre: rejects with probability max(0, (requests − K·accepts)/(requests + 1))', () => {
    expect(sreRejectProbability(100, 100, 2)).toBe(0);
    expect(sreRejectProbability(100, 50, 2)).toBe(0);
    expect(sreRejectProbability(100, 25, 2)).toBeCloseTo(50 / 101, 10);
    expect(sreRejectProbability(100, 0, 2)).toBeCloseTo(100 / 101, 10);

    const clock = new ManualClock();
    let r = 0.3;
    const b = new CircuitBreaker({ name: 'sre', policy: { type: 'sre', k: 2 }, clock, random: () => r });
    for (let i = 0; i < 100; i++) b.record(i < 25);
    // p = 50/101 ≈ 0.495: 0.3 is rejected, 0.6 passes; the breaker never "opens"
    expect(b.tryAcquire()).toEqual({ allowed: false, retryInMs: undefined });
    r = 0.6;
    expect(b.tryAcquire()).toEqual({ allowed: true, probe: false });
    expect(b.state.type).toBe('closed');
  });

  it('validates options', () => {
    expect(() => new CircuitBreaker({ name: '' })).toThrow(InvalidRecoveryOptionError);
    expect(() => new CircuitBreaker({ name: 'x', policy: { type: 'magic' } as never })).toThrow(/breaker\.policy/);
  });

  it('refuses an unknown key, also in the breaker options of the per-method and per-endpoint breakers', () => {
    expect(() => new CircuitBreaker({ name: 'x', policy: { type: 'sre', failures: 3 } as never })).toThrow(
      /"breaker\.policy\.failures" is not an option .*: allowed values are the keys type, k, windowMs$/,
    );
    expect(() => createMethodBreakers({ breaker: { openMS: 10 } as never })).toThrow(
      /"breakers\.breaker\.openMS" is not an option .*: allowed values are the keys policy, openMs, halfOpenProbes/,
    );
    expect(() => createEndpointBreakers({ breaker: { halfOpenProbes: 0 } })).toThrow(
      /"endpointBreakers\.breaker\.halfOpenProbes" is 0 .*: allowed values are an integer in 1\.\.100 \(default 1\)$/,
    );
  });
});
