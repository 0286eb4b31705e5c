import { ManualClock, seededRandom, type Endpoint } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { pickRequest } from '../picker.js';
import { RoundRobinPicker } from '../policies/round-robin.js';
import { slowStartFactor, slowStartSchema } from './slow-start.js';
import { SlowStartPicker, SlowStartTracker } from './slow-start-picker.js';

const options = slowStartSchema.parse({});
const fleet = (n: number): Endpoint[] => Array.from({ length: n }, (_, i) => ({ id: `e${i}`, address: `h:${i + 1}` }));

describe('slowStartFactor', () => {
  it('ramps as Envoy does: min weight first, then (t ÷ window)^(1 ÷ aggression), full at the end', () => {
    expect(options).toEqual({ windowMs: 10_000, aggression: 1, minWeightPercent: 10 });
    expect(slowStartFactor(0, options)).toBe(0.1);
    expect(slowStartFactor(500, options)).toBe(0.1);
    expect(slowStartFactor(5_000, options)).toBe(0.5);
    expect(slowStartFactor(10_000, options)).toBe(1);
    expect(slowStartFactor(2_500, { ...options, aggression: 2 })).toBe(0.5);
  });

  it('refuses options it does not know or cannot use, naming them', () => {
    expect(() => slowStartSchema.parse({ windowMs: 0 })).toThrow(/windowMs/);
    expect(() => slowStartSchema.parse({ window: 1 })).toThrow(/window/);
  });
});

describe('slow start over a picker', () => {
  it('never gives a ramping endpoint more than its healthy share, at any point of the window', () => {
    const clock = new ManualClock(0);
    const tracker = new SlowStartTracker(options, clock);
    tracker.update(fleet(3));
    clock.advance(1_000);
    const since = tracker.update(fleet(4));
    expect([...since]).toEqual([['e3', 1_000]]);
    // Round-robin (a turned-down pick shortens its cycle) and random (independent picks: the share
    // is exactly the factor × 1/4 in expectation).
    const rotating = new SlowStartPicker(new RoundRobinPicker(fleet(4)), since, options, clock, seededRandom(3));
    const random = createPolicy({ policy: 'random', random: seededRandom(5) }).picker(fleet(4));
    const independent = new SlowStartPicker(random, since, options, clock, seededRandom(4));
    const n = 40_000;
    const shareOf = (picker: SlowStartPicker) => {
      let mine = 0;
      for (let i = 0; i < n; i++) if (picker.pick(pickRequest()).endpoint.id === 'e3') mine++;
      return mine / n;
    };
    for (let t = 0; t <= 10_000; t += 500) {
      clock.set(1_000 + t);
      expect(shareOf(rotating)).toBeLessThanOrEqual(0.25);
      const share = shareOf(independent);
      expect(share).toBeLessThanOrEqual(0.25);
      expect(share).toBeCloseTo(0.25 * slowStartFactor(t, options), 2);
    }
  });

  it('forgets a ramp once the window passed, and starts one again when an endpoint returns', () => {
    const clock = new ManualClock(0);
    const tracker = new SlowStartTracker(options, clock);
    tracker.update(fleet(2));
    expect(tracker.rampEnds()).toBeUndefined();
    tracker.update(fleet(1));
    clock.advance(100);
    expect([...tracker.update(fleet(2))]).toEqual([['e1', 100]]);
    expect(tracker.rampEnds()).toBe(10_100);
    clock.advance(10_000);
    expect(tracker.update(fleet(2)).size).toBe(0);
  });
});
