import { ManualClock, type Endpoint } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLD_DOWN_MS } from './hold-down.js';
import { OVERLOAD_MEMORY_MS, SubsetMembership } from './subset-membership.js';

const fleet: Endpoint[] = Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, address: `127.0.0.1:${100 + i}` }));
const ids = (list: readonly Endpoint[]) => list.map((e) => e.id);

describe('SubsetMembership', () => {
  it('takes one more member beside one that shed load, and lets it go when the memory expires', () => {
    const clock = new ManualClock(0);
    const membership = new SubsetMembership({ size: 4, clientId: 'c' }, clock);
    membership.setEndpoints(fleet);
    const connected = () => true;
    const first = ids(membership.members(connected));
    expect(first).toHaveLength(4);
    expect(membership.noteOverloaded(first[1]!)).toBe(true);
    expect(membership.noteOverloaded(first[1]!)).toBe(false);
    const grown = ids(membership.members(connected));
    expect(grown).toHaveLength(5);
    expect(grown.slice(0, 4)).toEqual(first);
    clock.advance(OVERLOAD_MEMORY_MS - 1);
    expect(membership.expire()).toBe(false);
    clock.advance(1);
    expect(membership.expire()).toBe(true);
    expect(ids(membership.members(connected))).toEqual(first);
  });

  it('remembers a member seen down after the subset dropped it, until the source drops it too', () => {
    const membership = new SubsetMembership({ size: 4, clientId: 'c', holdDownMs: 0 }, new ManualClock(0));
    membership.setEndpoints(fleet);
    const down = new Set<string>();
    membership.followHealth((id) => !down.has(id));
    const first = ids(membership.members(() => true));
    down.add(first[0]!);
    const connected = new Set(ids(membership.members(() => true)));
    expect(connected.size).toBe(5);
    // The detector no longer knows the endpoint once the table drops it: the memory answers.
    connected.delete(first[0]!);
    expect(ids(membership.members((id) => connected.has(id)))).toHaveLength(5);
    membership.setEndpoints(fleet.filter((e) => e.id !== first[0]));
    expect(ids(membership.members(() => true))).toHaveLength(4);
  });

  it('keeps a member seen down in its place for the hold, and replaces it only when the hold is over', () => {
    const clock = new ManualClock(0);
    const membership = new SubsetMembership({ size: 8, clientId: 'c' }, clock);
    membership.setEndpoints(fleet);
    const down = new Set<string>();
    membership.followHealth((id) => !down.has(id));
    const first = ids(membership.members(() => true));
    expect(membership.nextHoldExpiry()).toBeUndefined();

    // A starved replica misses a probe and answers again 3 s later: the subset never moves.
    down.add(first[2]!);
    expect(ids(membership.members(() => true))).toEqual(first);
    expect(membership.nextHoldExpiry()).toBe(DEFAULT_HOLD_DOWN_MS);
    clock.advance(3_000);
    expect(membership.expire()).toBe(false);
    down.clear();
    expect(ids(membership.members(() => true))).toEqual(first);
    expect(membership.nextHoldExpiry()).toBeUndefined();

    // Down for the whole hold: replaced (and kept connected beside its replacement).
    down.add(first[5]!);
    membership.members(() => true);
    clock.advance(DEFAULT_HOLD_DOWN_MS - 1);
    expect(membership.expire()).toBe(false);
    expect(ids(membership.members(() => true))).toEqual(first);
    clock.advance(1);
    expect(membership.expire()).toBe(true);
    const replaced = ids(membership.members(() => true));
    expect(replaced).toHaveLength(9);
    expect(replaced).toEqual(expect.arrayContaining(first));
    expect(membership.nextHoldExpiry()).toBeUndefined();
  });

  it('replaces every down member at once when more than a quarter of the subset is down', () => {
    const membership = new SubsetMembership({ size: 8, clientId: 'c' }, new ManualClock(0));
    membership.setEndpoints(fleet);
    const down = new Set<string>();
    membership.followHealth((id) => !down.has(id));
    const first = ids(membership.members(() => true));
    for (const id of first.slice(0, 2)) down.add(id);
    expect(ids(membership.members(() => true))).toEqual(first); // two of eight: held
    down.add(first[2]!);
    const grown = ids(membership.members(() => true));
    expect(grown).toHaveLength(11); // three of eight: all replaced now
    expect(grown.filter((id) => !down.has(id))).toHaveLength(8);
  });
});
