import { ManualClock, seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { pickRequest, type Pick, type Picker } from '../picker.js';
import type { PolicyOptionsInput } from '../policy-options.js';
import { endpoints } from '../__tests__/policy-helpers.js';
import { LatencyFloor, SlowBench, type BenchState } from './slow-bench.js';
import { twoChoices } from './two-choices.js';

/**
 * A closed loop of `concurrency` callers over a picker on a manual clock: each call takes its
 * endpoint's latency; a caller sends its next call as soon as its last one ends. Returns the
 * picks per endpoint.
 */
function closedLoop(
  picker: Picker,
  clock: ManualClock,
  latencyOf: (endpoint: string, now: number) => number,
  concurrency: number,
  durationMs: number,
): Record<string, number> {
  const counts: Record<string, number> = {};
  const running: { endsAt: number; pick: Pick; ms: number }[] = [];
  const start = () => {
    const pick = picker.pick(pickRequest());
    const ms = latencyOf(pick.endpoint.id, clock.now());
    counts[pick.endpoint.id] = (counts[pick.endpoint.id] ?? 0) + 1;
    running.push({ endsAt: clock.now() + ms, pick, ms });
  };
  const end = clock.now() + durationMs;
  for (let i = 0; i < concurrency; i++) start();
  while (clock.now() < end) {
    running.sort((a, b) => a.endsAt - b.endsAt);
    const next = running.shift()!;
    clock.set(next.endsAt);
    next.pick.done({ code: 0, latencyMs: next.ms });
    start();
  }
  return counts;
}

const share = (counts: Record<string, number>, id: string) =>
  (counts[id] ?? 0) / Object.values(counts).reduce((a, b) => a + b, 0);

function run(policyOptions: PolicyOptionsInput, latencyOf: (endpoint: string, now: number) => number, ms: number) {
  const clock = new ManualClock(0);
  const picker = createPolicy({ policy: 'peak-ewma', clock, random: seededRandom(7), policyOptions }).picker(
    endpoints(3),
  );
  return { clock, picker, counts: closedLoop(picker, clock, latencyOf, 16, ms) };
}

// Two replicas answer in 2 ms, e2 in 50 ms: the slow-replica benchmark's shape.
const slowE2 = (endpoint: string) => (endpoint === 'e2' ? 50 : 2);

describe('slow-endpoint bench (peak-ewma)', () => {
  it('without the bench, latency × (in-flight + 1) sends a slow replica several times 0.1 % of attempts', () => {
    // No noise at all here; on a real machine client stalls raise the fast replicas' peaks too.
    const { counts } = run({ slowFactor: 0 }, slowE2, 20_000);
    expect(share(counts, 'e2')).toBeGreaterThan(0.003);
  });

  it('with it, a slow replica takes only its probes: one per probe interval, well under 0.1 % of attempts', () => {
    const { counts } = run({}, slowE2, 20_000);
    // 20 s at the default 1 probe/s, plus the picks before it was found slow.
    expect(counts.e2).toBeLessThanOrEqual(40);
    expect(share(counts, 'e2')).toBeLessThan(0.001);
  });

  it('a probe that answers fast brings a recovered replica back at once', () => {
    const recoversAt = 10_000;
    const latencyOf = (endpoint: string, now: number) => (endpoint === 'e2' && now < recoversAt ? 50 : 2);
    const { clock, picker } = run({}, latencyOf, recoversAt);
    const after = closedLoop(picker, clock, latencyOf, 16, 2_000);
    // Within about one probe interval it takes its share again.
    expect(share(after, 'e2')).toBeGreaterThan(0.2);
  });

  it('the probe budget follows probeIntervalMs', () => {
    const { counts } = run({ probeIntervalMs: 100, probeEvery: 1 }, slowE2, 10_000);
    expect(counts.e2).toBeGreaterThan(80);
    expect(counts.e2).toBeLessThanOrEqual(130);
  });

  it('at a low call rate, probes stay under 1 in probeEvery attempts where the interval alone would allow more', () => {
    // One caller at 2 ms a call: 500 picks a second, where 1 probe a second would be 0.2 %.
    const clock = new ManualClock(0);
    const picker = createPolicy({ policy: 'peak-ewma', clock, random: seededRandom(7) }).picker(endpoints(3));
    const counts = closedLoop(picker, clock, slowE2, 1, 60_000);
    expect(share(counts, 'e2')).toBeLessThan(1 / 2_000 + 0.0002);
    const minute = closedLoop(picker, clock, slowE2, 1, 60_000);
    // 30 000 picks a minute: 15 probes at 1 in 2 000.
    expect(minute.e2).toBeGreaterThanOrEqual(14);
    expect(minute.e2).toBeLessThanOrEqual(16);
  });

  it('learns of a slow replica from attempts cancelled before it answered (hedge losers)', () => {
    const clock = new ManualClock(0);
    const picker = createPolicy({ policy: 'peak-ewma', clock, random: seededRandom(3) }).picker(endpoints(3));
    for (let i = 0; i < 3_000; i++) {
      const pick = picker.pick(pickRequest());
      clock.advance(1);
      // e2 never answers: each of its attempts is cancelled after 20 ms, when the hedge won.
      if (pick.endpoint.id === 'e2') pick.done({ code: 1, signal: 'cancelled', latencyMs: 20 });
      else pick.done({ code: 0, latencyMs: 2 });
    }
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1_000; i++) {
      const pick = picker.pick(pickRequest());
      counts[pick.endpoint.id] = (counts[pick.endpoint.id] ?? 0) + 1;
      pick.done({ code: 1, signal: 'cancelled', latencyMs: 0 });
      clock.advance(1);
    }
    expect(counts.e2 ?? 0).toBeLessThanOrEqual(2);
  });
});

function state(floor: number | undefined, inFlight = 0): BenchState {
  const latencyFloor = new LatencyFloor();
  if (floor !== undefined) latencyFloor.observe(floor, 0);
  return { floor: latencyFloor, inFlight, probedAt: Number.NEGATIVE_INFINITY, picksSinceProbe: Infinity };
}

const options = { slowFactor: 3, slowMarginMs: 5, probeIntervalMs: 1_000, probeEvery: 1 };

describe('SlowBench', () => {
  it('benches against the median of the measured floors, never an unmeasured endpoint', () => {
    expect(new SlowBench([state(2), state(2), state(50), state(undefined)], options).benched).toEqual([2]);
    // The limit is max(median × 3, median + 5 ms): 12 ms is past it, 6 ms is not.
    expect(new SlowBench([state(2), state(2), state(12)], options).benched).toEqual([2]);
    expect(new SlowBench([state(2), state(2), state(6)], options).benched).toEqual([]);
    // At most half can be slower than the median: a fast minority benches nobody.
    expect(new SlowBench([state(0.2), state(20), state(21)], options).benched).toEqual([]);
  });

  it('stray slow answers from a fast replica barely move its floor; steady ones lift it; a new low drops it at once', () => {
    const floor = new LatencyFloor();
    let now = 0;
    floor.observe(2, now);
    // A server's GC pause: a hundred answers late by 300 ms, all arriving within a millisecond.
    for (let i = 0; i < 100; i++) floor.observe(300, (now += 0.01));
    expect(floor.value).toBeLessThan(3);
    // Slow for six seconds (two time constants), at a thousand answers a second.
    for (let i = 0; i < 6_000; i++) floor.observe(50, (now += 1));
    expect(floor.value).toBeGreaterThan(40);
    floor.observe(2, now + 1);
    expect(floor.value).toBe(2);
  });

  it('probes a benched endpoint only when idle and its interval has passed', () => {
    const slow = state(50);
    const bench = new SlowBench([state(2), state(2), slow], options);
    const allowed = () => true;
    expect(bench.beforePick(0, allowed)).toBe(2);
    expect(bench.beforePick(500, allowed)).toBe(-1);
    expect(bench.beforePick(1_000, () => false)).toBe(-1);
    const busy = { ...slow, inFlight: 1 };
    expect(new SlowBench([state(2), state(2), busy], options).beforePick(5_000, allowed)).toBe(-1);
    expect(bench.beforePick(1_000, allowed)).toBe(2);
  });

  it('probes a benched endpoint only once per probeEvery picks, however much time passed', () => {
    const bench = new SlowBench([state(2), state(2), state(50)], { ...options, probeEvery: 10 });
    const allowed = () => true;
    expect(bench.beforePick(0, allowed)).toBe(2);
    const probes: number[] = [];
    for (let pick = 1; pick <= 30; pick++) if (bench.beforePick(pick * 10_000, allowed) === 2) probes.push(pick);
    expect(probes).toEqual([10, 20, 30]);
  });

  it('two choices: a benched endpoint loses to any allowed one, drawn or not, and is taken when it is all there is', () => {
    const list = endpoints(3);
    const benched = (i: number) => i === 2;
    const cost = () => 1;
    // Draws (2, 0) with 0 excluded: 1 was not drawn but beats the benched 2.
    const draws = [0.9, 0.1];
    const random = () => draws.shift()!;
    expect(twoChoices(list, random, new Set(['e0']), cost, benched)).toBe(1);
    const again = [0.9, 0.1];
    expect(twoChoices(list, () => again.shift()!, new Set(['e0', 'e1']), cost, benched)).toBe(2);
  });
});
