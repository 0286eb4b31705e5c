import { describe, expect, it } from 'vitest';
import { SubsetHoldDown } from './hold-down.js';

const first = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

describe('SubsetHoldDown', () => {
  it('holds down members up to a quarter of the subset, each for the hold, and releases all past that share', () => {
    const hold = new SubsetHoldDown(8, 10_000);
    const down = new Set<string>();
    const isUp = (id: string) => !down.has(id);
    expect(hold.held(first, isUp, 0)).toEqual(new Set());
    down.add('b').add('c');
    expect(hold.held(first, isUp, 1_000)).toEqual(new Set(['b', 'c']));
    expect(hold.nextExpiry()).toBe(11_000);
    expect(hold.held(first, isUp, 10_999)).toEqual(new Set(['b', 'c']));
    expect(hold.held(first, isUp, 11_000)).toEqual(new Set());
    expect(hold.nextExpiry()).toBeUndefined();
    down.clear();
    hold.held(first, isUp, 12_000);
    down.add('a').add('b').add('c');
    expect(hold.held(first, isUp, 13_000)).toEqual(new Set()); // three of eight: replaced at once
  });

  it('stops replacing for the hold when a newcomer goes down too: the cause is not the members', () => {
    const hold = new SubsetHoldDown(8, 10_000);
    const down = new Set(['a', 'b', 'c']);
    const isUp = (id: string) => !down.has(id);
    hold.held(first, () => true, 0);
    expect(hold.held(first, isUp, 1_000)).toEqual(new Set()); // released: x, y, z join
    const grown = [...first, 'x', 'y', 'z'];
    expect(hold.held(grown, isUp, 1_100)).toEqual(new Set());
    // A newcomer misses its probe as well (a fleet short of CPU): the next down member keeps its place.
    down.add('x').add('d');
    expect(hold.held(grown, isUp, 2_000)).toEqual(new Set(['x', 'd']));
    expect(hold.nextExpiry()).toBe(12_000);
    expect(hold.held(grown, isUp, 11_999)).toEqual(new Set(['x', 'd']));
    expect(hold.held(grown, isUp, 12_000)).toEqual(new Set());
  });

  it('never holds with a hold of 0', () => {
    const hold = new SubsetHoldDown(8, 0);
    hold.held(first, () => true, 0);
    expect(hold.held(first, (id) => id !== 'a', 1)).toEqual(new Set());
  });
});
