import { randomUUID } from 'node:crypto';
import type { Endpoint } from '@ballast/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../src/errors.js';
import type { KvStore } from '../src/kv-store.js';
import { discover, type RegistrySource } from '../src/registry-source.js';
import { register, type Registration } from '../src/registration.js';
import { captureLogger } from './capture-logger.js';
import { STORES } from './stores.js';

for (const { name, open } of STORES) {
  describe(`registry on ${name}`, () => {
    let store: KvStore;
    let root: string;
    const registrations: Registration[] = [];
    const sources: RegistrySource[] = [];

    beforeEach(async () => {
      store = await open();
      root = `/test-${randomUUID()}/services/`;
    });
    afterEach(async () => {
      for (const r of registrations.splice(0)) await r.deregister();
      for (const s of sources.splice(0)) await s.close();
      await store.close();
    });

    it('discover follows register and deregister', async () => {
      const source = await discover(store, 'catalog', { root });
      sources.push(source);
      const seen: (readonly Endpoint[])[] = [];
      source.subscribe((list) => seen.push(list));
      const a = await register(store, { service: 'catalog', id: 'a', address: '127.0.0.1:5001', zone: 'z1' }, { root });
      const b = await register(
        store,
        { service: 'catalog', id: 'b', address: '127.0.0.1:5002', weight: 2, metadata: { version: '3' } },
        { root },
      );
      registrations.push(a, b);
      await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['a', 'b']), { timeout: 10_000 });
      expect(source.current()).toEqual([
        { id: 'a', address: '127.0.0.1:5001', zone: 'z1' },
        { id: 'b', address: '127.0.0.1:5002', weight: 2, metadata: { version: '3' } },
      ]);
      await a.deregister();
      await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['b']), { timeout: 10_000 });
      expect(seen[0]).toEqual([]);
    });

    it('skips garbage entries with a warning and keeps serving the good ones', async () => {
      const prefix = `${root}orders/`;
      await store.put(`${prefix}bad-json`, '{not json');
      await store.put(`${prefix}bad-shape`, JSON.stringify({ id: 'bad-shape', port: 1 }));
      await store.put(`${prefix}bad-address`, JSON.stringify({ id: 'bad-address', address: 'nowhere' }));
      await store.put(`${prefix}wrong-id`, JSON.stringify({ id: 'other', address: '127.0.0.1:1' }));
      const { logger, lines } = captureLogger();
      const source = await discover(store, 'orders', { root, logger });
      sources.push(source);
      const good = await register(store, { service: 'orders', id: 'good', address: '127.0.0.1:6000' }, { root });
      registrations.push(good);
      await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['good']), { timeout: 10_000 });
      const skipped = lines.filter((l) => l.msg === 'registry entry skipped').map((l) => l.key);
      expect(skipped.sort()).toEqual(
        ['bad-address', 'bad-json', 'bad-shape', 'wrong-id'].map((id) => `${prefix}${id}`).sort(),
      );
    });

    it('re-registers after its lease is lost', async () => {
      const source = await discover(store, 'payments', { root });
      sources.push(source);
      const r = await register(
        store,
        { service: 'payments', id: 'p1', address: '127.0.0.1:7000' },
        { root, ttlSeconds: 3 },
      );
      registrations.push(r);
      const first = r.state.type === 'registered' ? r.state.lease : '';
      const states: string[] = [];
      r.onStateChange((s) => states.push(s.type));
      await store.revokeLease(first);
      await vi.waitFor(
        () => {
          expect(r.state.type === 'registered' && r.state.lease !== first).toBe(true);
          expect(source.current().map((e) => e.id)).toEqual(['p1']);
        },
        { timeout: 15_000, interval: 50 },
      );
      expect(states).toContain('lost');
      const { kv } = await store.get(`${root}payments/p1`);
      expect(kv?.lease).not.toBe(first);
    });

    it('rejects an invalid instance, naming the field', async () => {
      await expect(register(store, { service: 'x', id: 'i', address: 'no-port' }, { root })).rejects.toThrow(
        InvalidOptionError,
      );
      await expect(register(store, { service: 'bad name', id: 'i', address: 'h:1' }, { root })).rejects.toThrow(
        /service/,
      );
      await expect(discover(store, '', { root })).rejects.toThrow(/service/);
    });
  });
}
