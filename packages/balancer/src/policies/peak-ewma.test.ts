import { ManualClock, seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { pickRequest, type Picker } from '../picker.js';
import { endpoints } from '../__tests__/policy-helpers.js';
import { PeakEwmaEstimate } from './peak-ewma.js';

/** Sends `count` sequential calls, advancing the clock by each call's latency plus a gap. */
function drive(picker: Picker, clock: ManualClock, latency: Record<string, number>, count: number) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const pick = picker.pick(pickRequest());
    const ms = latency[pick.endpoint.id]!;
    clock.advance(ms);
    pick.done({ code: 0, latencyMs: ms });
    clock.advance(20);
    counts[pick.endpoint.id] = (counts[pick.endpoint.id] ?? 0) + 1;
  }
  return counts;
}

describe('peak-ewma', () => {
  it('a new endpoint starts from the default RTT, not 0, and decays toward 0 when idle', () => {
    const counter = { inFlight: 0 };
    const estimate = new PeakEwmaEstimate(30, 0, 10_000, counter);
    expect(estimate.costAt(0)).toBe(30);
    counter.inFlight = 2;
    expect(estimate.costAt(0)).toBe(90);
    expect(estimate.rttAt(10_000)).toBeCloseTo(30 / Math.E, 6);
  });

  it('jumps to a latency peak at once and forgets it gradually', () => {
    const estimate = new PeakEwmaEstimate(10, 0, 10_000);
    estimate.observe(500, 1);
    expect(estimate.rttAt(1)).toBe(500);
    estimate.observe(10, 1_001);
    const after = estimate.rttAt(1_001);
    expect(after).toBeLessThan(500);
    expect(after).toBeGreaterThan(400);
  });

  it('shifts traffic away from a slow endpoint and back after it recovers', () => {
    const clock = new ManualClock(0);
    const policy = createPolicy({ policy: 'peak-ewma', clock, random: seededRandom(11) });
    const picker = policy.picker(endpoints(3));
    drive(picker, clock, { e0: 5, e1: 5, e2: 5 }, 300);
    const slow = drive(picker, clock, { e0: 5, e1: 5, e2: 250 }, 3_000);
    expect(slow.e2 ?? 0).toBeLessThan(3_000 * 0.05);
    drive(picker, clock, { e0: 5, e1: 5, e2: 5 }, 3_000);
    const recovered = drive(picker, clock, { e0: 5, e1: 5, e2: 5 }, 3_000);
    expect(recovered.e2 ?? 0).toBeGreaterThan(3_000 * 0.2);
  });

  it('counts a fast gateway error as at least the failure penalty', () => {
    const clock = new ManualClock(0);
    const policy = createPolicy({ policy: 'peak-ewma', clock, random: seededRandom(2) });
    const picker = policy.picker(endpoints(2));
    const counts: Record<string, number> = { e0: 0, e1: 0 };
    for (let i = 0; i < 1_000; i++) {
      const pick = picker.pick(pickRequest());
      counts[pick.endpoint.id]!++;
      // e0 fails at once with UNAVAILABLE; e1 answers in 20 ms.
      const failing = pick.endpoint.id === 'e0';
      pick.done({ code: failing ? 14 : 0, latencyMs: failing ? 1 : 20 });
      clock.advance(10);
    }
    expect(counts.e0).toBeLessThan(100);
  });

  it('prefers the endpoint with fewer in-flight calls when latencies match', () => {
    const clock = new ManualClock(0);
    const picker = createPolicy({ policy: 'peak-ewma', clock, random: seededRandom(4) }).picker(endpoints(2));
    const held = Array.from({ length: 6 }, () => picker.pick(pickRequest()));
    for (const pick of held) if (pick.endpoint.id === 'e1') pick.done({ code: 0, latencyMs: 30 });
    const e0Held = held.filter((p) => p.endpoint.id === 'e0').length;
    expect(e0Held).toBeGreaterThan(0);
    expect(picker.pick(pickRequest()).endpoint.id).toBe('e1');
  });
});
