import type { Endpoint } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { rendezvousSubset } from './rendezvous-subset.js';

const fleet = (n: number, zones: readonly string[] = []): Endpoint[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    address: `10.0.${i >> 8}.${i & 255}:50051`,
    ...(zones.length > 0 && { zone: zones[i % zones.length] }),
  }));
const allUp = () => true;
const ids = (list: readonly Endpoint[]) => list.map((e) => e.id);

describe('rendezvousSubset', () => {
  it('gives each client a stable subset of the asked size, and different clients different ones', () => {
    const endpoints = fleet(100);
    const a = rendezvousSubset(endpoints, allUp, { size: 8, clientId: 'client-a' });
    expect(a).toHaveLength(8);
    expect(ids(rendezvousSubset([...endpoints].reverse(), allUp, { size: 8, clientId: 'client-a' })).sort()).toEqual(
      ids(a).sort(),
    );
    const b = rendezvousSubset(endpoints, allUp, { size: 8, clientId: 'client-b' });
    expect(ids(b).sort()).not.toEqual(ids(a).sort());
  });

  it('returns every endpoint when there are no more than the size', () => {
    const endpoints = fleet(5);
    expect(rendezvousSubset(endpoints, allUp, { size: 8, clientId: 'c' })).toBe(endpoints);
  });

  it('moves per client only what a departed replica or a newcomer forces: max(lost, gained)', () => {
    const before = fleet(1_000);
    const leaving = new Set(before.filter((_, i) => i % 100 === 7).map((e) => e.id));
    const joining = Array.from({ length: leaving.size }, (_, i) => ({ id: `new${i}`, address: `10.9.0.${i}:50051` }));
    const after = [...before.filter((e) => !leaving.has(e.id)), ...joining];
    let moved = 0;
    let lost = 0;
    for (let c = 0; c < 300; c++) {
      const old = new Set(ids(rendezvousSubset(before, allUp, { size: 32, clientId: `c${c}` })));
      const now = ids(rendezvousSubset(after, allUp, { size: 32, clientId: `c${c}` }));
      const dropped = [...old].filter((id) => !now.includes(id)).length;
      const lostHere = [...old].filter((id) => leaving.has(id)).length;
      const gained = now.filter((id) => id.startsWith('new')).length;
      // Every member that stays a replica stays in the subset unless a newcomer outranks it.
      expect(dropped).toBe(Math.max(lostHere, gained));
      moved += dropped;
      lost += lostHere;
    }
    // Against the minimum (the connections on departed replicas): within 2×.
    expect(moved / lost).toBeLessThanOrEqual(2);
  });

  it('moves only the connections of departed replicas when replicas only leave', () => {
    const before = fleet(1_000);
    const after = before.filter((_, i) => i % 100 !== 7);
    for (let c = 0; c < 100; c++) {
      const old = ids(rendezvousSubset(before, allUp, { size: 32, clientId: `c${c}` }));
      const now = new Set(ids(rendezvousSubset(after, allUp, { size: 32, clientId: `c${c}` })));
      expect(old.filter((id) => !now.has(id))).toEqual(old.filter((id) => Number(id.slice(1)) % 100 === 7));
    }
  });

  it('grows past unusable members so the healthy part keeps its size, and keeps them for health checks', () => {
    const endpoints = fleet(100);
    const first = rendezvousSubset(endpoints, allUp, { size: 8, clientId: 'c' });
    const down = new Set(ids(first).slice(0, 3));
    const grown = rendezvousSubset(endpoints, (id) => !down.has(id), { size: 8, clientId: 'c' });
    expect(grown).toHaveLength(11);
    expect(ids(grown).slice(0, 8).sort()).toEqual(ids(first).sort());
    expect(grown.filter((e) => !down.has(e.id))).toHaveLength(8);
  });

  it('keeps at most as many unusable members as healthy ones wanted', () => {
    const endpoints = fleet(100);
    const grown = rendezvousSubset(endpoints, () => false, { size: 8, clientId: 'c' });
    expect(grown).toHaveLength(8);
  });

  it('takes three quarters from the client zone and a standby quarter from the others', () => {
    const endpoints = fleet(90, ['a', 'b', 'c']);
    const subset = rendezvousSubset(endpoints, allUp, { size: 8, clientId: 'c', zone: 'a' });
    expect(subset.filter((e) => e.zone === 'a')).toHaveLength(6);
    expect(subset.filter((e) => e.zone !== 'a')).toHaveLength(2);
  });

  it('fills the size from other zones when the client zone has fewer endpoints than its part', () => {
    // 8 replicas over 3 zones: zone a has 3, fewer than the 3 local members of a size-4 subset
    // would need once its standby is taken, and with 2 of them the subset must still hold 4.
    const endpoints = fleet(8, ['a', 'b', 'c']).filter((e) => !(e.zone === 'a' && e.id === 'r6'));
    const subset = rendezvousSubset(endpoints, allUp, { size: 4, clientId: 'c', zone: 'a' });
    expect(subset.filter((e) => e.zone === 'a')).toHaveLength(2);
    expect(subset).toHaveLength(4);
  });

  it('takes the whole size from the client zone when it is the only zone', () => {
    const endpoints = fleet(8, ['a']);
    expect(rendezvousSubset(endpoints, allUp, { size: 4, clientId: 'c', zone: 'a' })).toHaveLength(4);
  });

  it('spills to other zones by the overprovisioning rule and fails over completely', () => {
    const endpoints = fleet(90, ['a', 'b', 'c']);
    const options = { size: 8, clientId: 'c', zone: 'a' };
    const localFirst = rendezvousSubset(endpoints, allUp, options).filter((e) => e.zone === 'a');
    // Half the zone down: the local scan keeps 6 healthy (or stops at 6 down); the remote part
    // grows to cover the local shortfall, ceil(8 × (1 − min(1, 1.4 × healthy ÷ kept))).
    const down = new Set(ids(endpoints.filter((e) => e.zone === 'a').filter((_, i) => i % 2 === 0)));
    const partial = rendezvousSubset(endpoints, (id) => !down.has(id), options);
    const local = partial.filter((e) => e.zone === 'a');
    const healthy = local.filter((e) => !down.has(e.id)).length;
    expect(healthy === 6 || local.length - healthy === 6).toBe(true);
    const share = Math.min(1, (1.4 * healthy) / local.length);
    expect(share).toBeLessThan(1);
    expect(partial.length - local.length).toBe(Math.max(2, 8 - healthy, Math.ceil(8 * (1 - share))));
    // The members that stayed healthy stay members.
    for (const id of ids(localFirst)) if (!down.has(id)) expect(ids(local)).toContain(id);
    const zoneDown = new Set(ids(endpoints.filter((e) => e.zone === 'a')));
    const failover = rendezvousSubset(endpoints, (id) => !zoneDown.has(id), options);
    expect(failover.filter((e) => e.zone === 'a')).toHaveLength(6);
    expect(failover.filter((e) => e.zone !== 'a')).toHaveLength(8);
  });
});
