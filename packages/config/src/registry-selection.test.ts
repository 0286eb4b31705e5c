import { describe, expect, it } from 'vitest';
import type { KeyValue } from './kv-store.js';
import { selectRegistryEntries } from './registry-selection.js';

const prefix = '/ballast/services/inventory/';

function kv(key: string, value: unknown, createRevision: number): KeyValue {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { key, value: text, version: 1, createRevision, modRevision: createRevision };
}

describe('selectRegistryEntries', () => {
  it('keeps the entry created first when two claim one id, in whatever order they come', () => {
    const older = kv(`${prefix}dup`, { id: 'dup', address: '127.0.0.1:1' }, 5);
    const newer = kv(`${prefix}dup`, { id: 'dup', address: '127.0.0.1:2' }, 9);
    for (const kvs of [
      [older, newer],
      [newer, older],
    ]) {
      const { endpoints, rejected } = selectRegistryEntries(prefix, kvs);
      expect(endpoints).toEqual([{ id: 'dup', address: '127.0.0.1:1' }]);
      expect(rejected).toEqual([expect.objectContaining({ reason: 'duplicate-id', modRevision: 9 })]);
    }
  });

  it('accepts only <prefix><id> keys and names the reason for everything it leaves out', () => {
    const { endpoints, rejected } = selectRegistryEntries(prefix, [
      kv(`${prefix}b`, { id: 'b', address: '127.0.0.1:2' }, 3),
      kv(`${prefix}a`, { id: 'a', address: '127.0.0.1:1' }, 4),
      kv(`${prefix}x/a`, { id: 'a', address: '127.0.0.1:9' }, 1),
      kv(`${prefix}other`, { id: 'a', address: '127.0.0.1:9' }, 2),
      kv(`${prefix}j`, '{"id":', 6),
      kv(`${prefix}n`, { id: 'n', address: 'nowhere' }, 7),
    ]);
    expect(endpoints.map((e) => e.id)).toEqual(['a', 'b']);
    expect(rejected.map((r) => [r.key.slice(prefix.length), r.reason])).toEqual([
      ['x/a', 'wrong-key'],
      ['other', 'wrong-key'],
      ['j', 'malformed'],
      ['n', 'bad-endpoint'],
    ]);
    expect(rejected[0]!.detail).toContain(`expected ${prefix}a`);
  });
});
