import { seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { InvalidBalancerOptionError } from '../errors.js';
import { murmur3 } from '../murmur3.js';
import { pickRequest, recordMetadata, type Picker } from '../picker.js';
import { endpoints } from '../__tests__/policy-helpers.js';
import { MaglevPicker } from './maglev.js';
import { RingHashPicker } from './ring-hash.js';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const hashKey = { header: 'x-user' };

function owners(picker: Picker): string[] {
  return KEYS.map((key) => picker.pick(pickRequest({ metadata: recordMetadata({ 'x-user': key }) })).endpoint.id);
}

function counts(ids: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const id of ids) map.set(id, (map.get(id) ?? 0) + 1);
  return map;
}

describe.each(['ring-hash', 'maglev'] as const)('%s', (policy) => {
  const build = (list = endpoints(10)) =>
    createPolicy({ policy, policyOptions: { hashKey }, random: seededRandom(1) }).picker(list);

  it('sends the same key to the same endpoint, across pickers', () => {
    const first = owners(build());
    expect(owners(build())).toEqual(first);
    expect(counts(first).size).toBe(10);
  });

  it('removing 1 of 10 endpoints moves at most 15% of 10 000 keys, and only keys it owned', () => {
    const all = endpoints(10);
    const before = owners(build(all));
    const after = owners(build(all.filter((e) => e.id !== 'e3')));
    const moved = KEYS.filter((_, i) => before[i] !== after[i]);
    expect(moved.length / KEYS.length).toBeLessThanOrEqual(0.15);
    const movedFromOthers = KEYS.filter((_, i) => before[i] !== after[i] && before[i] !== 'e3').length;
    expect(movedFromOthers / KEYS.length).toBeLessThan(0.02);
  });

  it('honours weights: a weight-3 endpoint gets about three times the keys of a weight-1 one', () => {
    const share = counts(owners(build(endpoints(4, [3, 1, 1, 1]))));
    const ratio = share.get('e0')! / ((share.get('e1')! + share.get('e2')! + share.get('e3')!) / 3);
    expect(ratio).toBeGreaterThan(2.4);
    expect(ratio).toBeLessThan(3.6);
  });

  it('walks on to an endpoint not excluded, and falls back to random without a key', () => {
    const picker = build();
    const metadata = recordMetadata({ 'x-user': 'user-1' });
    const usual = picker.pick(pickRequest({ metadata })).endpoint.id;
    const other = picker.pick(pickRequest({ metadata, exclude: new Set([usual]) })).endpoint.id;
    expect(other).not.toBe(usual);
    const keyless = counts(Array.from({ length: 1_000 }, () => picker.pick(pickRequest()).endpoint.id));
    expect(keyless.size).toBe(10);
  });

  it('refuses to start without a hash key, naming the option', () => {
    expect(() => createPolicy({ policy })).toThrow(InvalidBalancerOptionError);
    expect(() => createPolicy({ policy })).toThrow(/policyOptions\.hashKey/);
  });

  it('reads the key from a function of the call', () => {
    const picker = createPolicy({ policy, policyOptions: { hashKey: (_m, method) => method } }).picker(endpoints(5));
    const a = picker.pick(pickRequest({ method: '/svc/A' })).endpoint.id;
    for (let i = 0; i < 20; i++) expect(picker.pick(pickRequest({ method: '/svc/A' })).endpoint.id).toBe(a);
  });
});

describe('maglev table', () => {
  it('is balanced within 1% for equal weights', () => {
    const picker = new MaglevPicker(endpoints(10), hashKey, seededRandom(1), 65_537);
    const slots = counts(Array.from(picker.table, String));
    const values = [...slots.values()];
    expect(values).toHaveLength(10);
    expect(Math.max(...values) / Math.min(...values)).toBeLessThanOrEqual(1.01);
  });

  it('gives slots in proportion to weight, within 1%', () => {
    const picker = new MaglevPicker(endpoints(3, [1, 2, 4]), hashKey, seededRandom(1), 65_537);
    const slots = counts(Array.from(picker.table, String));
    expect(slots.get('1')! / slots.get('0')!).toBeCloseTo(2, 1);
    expect(Math.abs(slots.get('2')! / slots.get('0')! - 4) / 4).toBeLessThan(0.01);
  });

  it('grows past the configured size when there are many endpoints', () => {
    const picker = new MaglevPicker(endpoints(10_000), hashKey, seededRandom(1), 65_537);
    expect(picker.table.length).toBeGreaterThanOrEqual(80_000);
    expect(picker.table.includes(-1)).toBe(false);
  });
});

describe('ring-hash ring', () => {
  it('sizes the ring from minRingSize (per-endpoint count rounded up to a power of two), capped by maxRingSize', () => {
    expect(new RingHashPicker(endpoints(10), hashKey, seededRandom(1), 1_024, 8_388_608).ringSize).toBe(1_280);
    expect(new RingHashPicker(endpoints(9), hashKey, seededRandom(1), 1_024, 8_388_608).ringSize).toBe(9 * 128);
    expect(new RingHashPicker(endpoints(10), hashKey, seededRandom(1), 1_024, 100).ringSize).toBe(100);
  });

  it('owns a hash by the first entry at or after it, wrapping past the end', () => {
    const picker = new RingHashPicker(endpoints(3), hashKey, seededRandom(1), 16, 64);
    expect(picker.ownerOf(0xffffffff)).toBe(picker.ownerOf(0));
    expect(picker.ownerOf(murmur3('e1_0'))).toBe(1);
  });
});
