import { ManualClock, seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { pickRequest } from '../picker.js';
import { CHI2_999, chiSquareUniform, endpoints } from '../__tests__/policy-helpers.js';

const ids = (n: number) => endpoints(n).map((e) => e.id);

describe('round-robin', () => {
  it('rotates exactly from a random start and skips excluded endpoints', () => {
    const picker = createPolicy({ policy: 'round-robin', random: seededRandom(1) }).picker(endpoints(3));
    const seen = Array.from({ length: 9 }, () => picker.pick(pickRequest()).endpoint.id);
    const start = ids(3).indexOf(seen[0]!);
    expect(seen).toEqual(Array.from({ length: 9 }, (_, i) => `e${(start + i) % 3}`));
    const exclude = new Set([`e${(start + 9) % 3}`]);
    expect(picker.pick(pickRequest({ exclude })).endpoint.id).toBe(`e${(start + 10) % 3}`);
  });

  it('still answers when every endpoint is excluded', () => {
    const picker = createPolicy({ policy: 'round-robin' }).picker(endpoints(2));
    expect(['e0', 'e1']).toContain(picker.pick(pickRequest({ exclude: new Set(['e0', 'e1']) })).endpoint.id);
  });
});

describe('random', () => {
  it('is uniform within a chi-square bound over a seeded random', () => {
    const picker = createPolicy({ policy: 'random', random: seededRandom(42) }).picker(endpoints(10));
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) counts[Number(picker.pick(pickRequest()).endpoint.id.slice(1))]!++;
    expect(chiSquareUniform(counts)).toBeLessThan(CHI2_999.df9);
  });

  it('avoids excluded endpoints when others exist', () => {
    const picker = createPolicy({ policy: 'random', random: seededRandom(3) }).picker(endpoints(3));
    const exclude = new Set(['e0', 'e1']);
    for (let i = 0; i < 100; i++) expect(picker.pick(pickRequest({ exclude })).endpoint.id).toBe('e2');
  });
});

describe('least-request (power of two choices)', () => {
  it('spreads calls that finish at once uniformly within a chi-square bound', () => {
    const picker = createPolicy({ policy: 'least-request', random: seededRandom(9) }).picker(endpoints(3));
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const pick = picker.pick(pickRequest());
      counts[Number(pick.endpoint.id.slice(1))]!++;
      pick.done({ code: 0, latencyMs: 1 });
    }
    expect(chiSquareUniform(counts)).toBeLessThan(CHI2_999.df2);
  });

  it('sends nothing to an endpoint holding many in-flight calls while others are idle', () => {
    const picker = createPolicy({ policy: 'least-request', random: seededRandom(5) }).picker(endpoints(3));
    const held = Array.from({ length: 30 }, () => picker.pick(pickRequest()));
    for (const pick of held) if (pick.endpoint.id !== 'e0') pick.done({ code: 0, latencyMs: 1 });
    expect(held.filter((p) => p.endpoint.id === 'e0').length).toBeGreaterThan(3);
    const counts: Record<string, number> = { e0: 0, e1: 0, e2: 0 };
    for (let i = 0; i < 1_000; i++) {
      const pick = picker.pick(pickRequest());
      counts[pick.endpoint.id]!++;
      pick.done({ code: 0, latencyMs: 1 });
    }
    expect(counts.e0).toBe(0);
    expect(counts.e1! + counts.e2!).toBe(1_000);
  });

  it('keeps in-flight counts across a picker rebuild', () => {
    const policy = createPolicy({ policy: 'least-request', random: seededRandom(5) });
    const first = policy.picker(endpoints(2));
    const held = Array.from({ length: 10 }, () => first.pick(pickRequest()));
    const busy = held.filter((p) => p.endpoint.id === 'e0').length > 5 ? 'e0' : 'e1';
    const rebuilt = policy.picker(endpoints(2));
    for (const pick of held.filter((p) => p.endpoint.id !== busy)) pick.done({ code: 0, latencyMs: 1 });
    expect(rebuilt.pick(pickRequest()).endpoint.id).not.toBe(busy);
  });
});

describe('createPolicy', () => {
  it('defaults to peak-ewma', () => {
    expect(createPolicy({ clock: new ManualClock() }).name).toBe('peak-ewma');
  });
});
