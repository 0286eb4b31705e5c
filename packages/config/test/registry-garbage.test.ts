import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { StaticEndpointSource } from '@ballast/core';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EtcdStore } from '../src/etcd-store.js';
import type { KvStore } from '../src/kv-store.js';
import { discover, type RegistrySource } from '../src/registry-source.js';
import { register, type Registration } from '../src/registration.js';
import { captureLogger } from './capture-logger.js';
import { etcdEndpoints } from './etcd-endpoints.js';
import { STORES } from './stores.js';

const run = promisify(execFile);

async function rejectedCounts(registry: Registry, service: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('ballast_registry_rejected_entries_total')!.get();
  const counts: Record<string, number> = {};
  for (const v of metric.values) if (v.labels.service === service) counts[String(v.labels.reason)] = v.value;
  return counts;
}

for (const { name, open } of STORES) {
  describe(`registry garbage on ${name}`, () => {
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

    it('drops entries off the exact <prefix><id> key and duplicate ids; the rest stay usable', async () => {
      const prefix = `${root}inventory/`;
      const registry = new Registry();
      const { logger, lines } = captureLogger();
      const source = await discover(store, 'inventory', { root, logger, registry });
      sources.push(source);
      const good = await register(store, { service: 'inventory', id: 'good', address: '127.0.0.1:7001' }, { root });
      registrations.push(good);
      await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['good']), { timeout: 10_000 });

      // Two entries claiming one id from nested keys, and a nested key naming the good instance.
      await store.put(`${prefix}a/dup`, JSON.stringify({ id: 'dup', address: '127.0.0.1:1' }));
      await store.put(`${prefix}b/dup`, JSON.stringify({ id: 'dup', address: '127.0.0.1:2' }));
      await store.put(`${prefix}x/good`, JSON.stringify({ id: 'good', address: '127.0.0.1:3' }));
      await store.put(`${prefix}junk`, 'garbage');
      const later = await register(store, { service: 'inventory', id: 'later', address: '127.0.0.1:7002' }, { root });
      registrations.push(later);
      await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['good', 'later']), {
        timeout: 10_000,
      });
      expect(source.current().find((e) => e.id === 'good')?.address).toBe('127.0.0.1:7001');
      // What discovery publishes is always a list the balancer accepts.
      expect(() => new StaticEndpointSource(source.current())).not.toThrow();

      // Further updates do not report the same bad entries again.
      await later.deregister();
      await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['good']), { timeout: 10_000 });
      const skipped = lines.filter((l) => l.msg === 'registry entry skipped');
      expect(skipped.map((l) => l.key).sort()).toEqual(
        [`${prefix}a/dup`, `${prefix}b/dup`, `${prefix}junk`, `${prefix}x/good`].sort(),
      );
      expect(skipped.find((l) => l.key === `${prefix}a/dup`)).toMatchObject({ reason: 'wrong-key' });
      expect(await rejectedCounts(registry, 'inventory')).toEqual({ 'wrong-key': 3, malformed: 1 });
    });
  });
}

describe('registry garbage written with etcdctl', () => {
  let store: EtcdStore;
  const registrations: Registration[] = [];
  const sources: RegistrySource[] = [];
  afterEach(async () => {
    for (const r of registrations.splice(0)) await r.deregister();
    for (const s of sources.splice(0)) await s.close();
    await store.close();
  });

  it('discovery still lists the good replicas', async () => {
    store = await EtcdStore.connect({ endpoints: etcdEndpoints() });
    const root = `/test-${randomUUID()}/services/`;
    const prefix = `${root}inventory/`;
    const etcdctl = (...args: string[]) =>
      run('etcdctl', [`--endpoints=${etcdEndpoints().join(',')}`, ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 10_000,
      });
    for (const id of ['inventory-1', 'inventory-2']) {
      registrations.push(
        await register(
          store,
          { service: 'inventory', id, address: `127.0.0.1:${id.endsWith('1') ? 8001 : 8002}` },
          { root },
        ),
      );
    }
    await etcdctl('put', `${prefix}a/dup`, '{"id":"dup","address":"127.0.0.1:1"}');
    await etcdctl('put', `${prefix}b/dup`, '{"id":"dup","address":"127.0.0.1:1"}');
    await etcdctl('put', `${prefix}not-json`, '{"id":');
    await etcdctl('put', `${prefix}bad-address`, '{"id":"bad-address","address":"nowhere"}');

    const registry = new Registry();
    const source = await discover(store, 'inventory', { root, registry, logger: captureLogger().logger });
    sources.push(source);
    expect(source.current().map((e) => e.id)).toEqual(['inventory-1', 'inventory-2']);
    expect(await rejectedCounts(registry, 'inventory')).toEqual({ 'wrong-key': 2, malformed: 1, 'bad-endpoint': 1 });

    // A replica that restarts under a new id while the garbage is still there is picked up.
    await registrations.shift()!.deregister();
    registrations.push(
      await register(store, { service: 'inventory', id: 'inventory-3', address: '127.0.0.1:8003' }, { root }),
    );
    await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['inventory-2', 'inventory-3']), {
      timeout: 10_000,
    });
    expect(await rejectedCounts(registry, 'inventory')).toEqual({ 'wrong-key': 2, malformed: 1, 'bad-endpoint': 1 });
  });
});
