import { seededRandom, type Endpoint } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { pickRequest } from '../picker.js';
import { RoundRobinPicker } from '../policies/round-robin.js';
import { splitByZone, ZonePicker, zonePicker } from './zone-picker.js';
import { localZoneShare } from './zone-share.js';

const fleet = (zones: string): Endpoint[] =>
  [...zones].map((zone, i) => ({ id: `${zone}${i}`, address: `127.0.0.1:${10_000 + i}`, zone }));
const build = (list: readonly Endpoint[]) => new RoundRobinPicker(list);

describe('localZoneShare', () => {
  it('keeps the whole load while 1 ÷ 1.4 of the zone is healthy, then spills the rest', () => {
    expect(localZoneShare(10, 10)).toBe(1);
    expect(localZoneShare(8, 10)).toBe(1);
    expect(localZoneShare(5, 10)).toBeCloseTo(0.7, 12);
    expect(localZoneShare(1, 10)).toBeCloseTo(0.14, 12);
    expect(localZoneShare(0, 10)).toBe(0);
    expect(localZoneShare(0, 0)).toBe(0);
    expect(localZoneShare(5, 10, 1)).toBe(0.5);
  });
});

describe('zone picker', () => {
  const all = fleet('aaaabbbbcccc');

  it('sends every first attempt to the local zone while it is healthy', () => {
    const picker = zonePicker(all, all, 'a', build, seededRandom(1));
    for (let i = 0; i < 1_000; i++) expect(picker.pick(pickRequest()).endpoint.zone).toBe('a');
  });

  it('spills 30 % to the other zones, by their healthy endpoints, when half the local zone is out', () => {
    const eligible = all.filter((e) => !['a0', 'a1'].includes(e.id));
    const split = splitByZone(all, eligible, 'a');
    expect(split.localShare).toBeCloseTo(0.7, 12);
    const picker = zonePicker(all, eligible, 'a', build, seededRandom(7));
    const counts = new Map<string, number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const zone = picker.pick(pickRequest()).endpoint.zone!;
      counts.set(zone, (counts.get(zone) ?? 0) + 1);
    }
    expect(counts.get('a')! / n).toBeCloseTo(0.7, 2);
    expect(counts.get('b')! / n).toBeCloseTo(0.15, 2);
    expect(counts.get('c')! / n).toBeCloseTo(0.15, 2);
  });

  it('fails over completely when the local zone is down', () => {
    const eligible = all.filter((e) => e.zone !== 'a');
    const picker = zonePicker(all, eligible, 'a', build, seededRandom(1));
    for (let i = 0; i < 100; i++) expect(picker.pick(pickRequest()).endpoint.zone).not.toBe('a');
  });

  it('sends a retry of a call that tried the local zone to another zone', () => {
    const picker = zonePicker(all, all, 'a', build, seededRandom(1)) as ZonePicker;
    expect(picker).toBeInstanceOf(ZonePicker);
    for (let i = 0; i < 100; i++) {
      expect(picker.pick(pickRequest({ exclude: new Set(['a2']) })).endpoint.zone).not.toBe('a');
      expect(picker.pick(pickRequest({ exclude: new Set(['b2']) })).endpoint.zone).toBe('a');
    }
  });

  it('is the policy alone when no endpoint is in the client zone', () => {
    const picker = zonePicker(all, all, 'z', build, seededRandom(1));
    expect(picker).toBeInstanceOf(RoundRobinPicker);
  });
});
