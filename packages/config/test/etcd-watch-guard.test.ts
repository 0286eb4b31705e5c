import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EtcdStore } from '../src/etcd-store.js';
import type { WatchBatch } from '../src/kv-store.js';
import { etcdEndpoints } from './etcd-endpoints.js';
import { TcpProxy } from './tcp-proxy.js';

describe('EtcdStore watch guard', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('replaces a watch stream that went silent without closing, and misses or repeats nothing', async () => {
    const writer = await EtcdStore.connect({ endpoints: etcdEndpoints() });
    cleanups.push(() => writer.close());
    const proxy = await TcpProxy.start(etcdEndpoints()[0]!);
    cleanups.push(() => proxy.close());
    const watched = await EtcdStore.connect({ endpoints: [proxy.url], watchCheckIntervalMs: 300 });
    cleanups.push(() => watched.close());
    expect(proxy.links).toHaveLength(1); // the store's own client

    const key = `/guard/${randomUUID()}`;
    const batches: WatchBatch[] = [];
    const watch = await watched.watch(
      { key, fromRevision: (await writer.get(key)).revision + 1 },
      {
        onEvents: (b) => batches.push(b),
      },
    );
    cleanups.push(() => watch.close());
    expect(proxy.links).toHaveLength(2); // the watch stream's own client

    for (let i = 1; i <= 3; i++) await writer.put(key, String(i));
    await vi.waitFor(() => expect(batches).toHaveLength(3), { timeout: 10_000 });

    proxy.silence(1);
    for (let i = 4; i <= 13; i++) await writer.put(key, String(i));
    await vi.waitFor(() => expect(batches).toHaveLength(13), { timeout: 20_000, interval: 50 });

    const values = batches.flatMap((b) => b.events.map((e) => (e.type === 'put' ? e.kv.value : 'delete')));
    expect(values).toEqual(Array.from({ length: 13 }, (_, i) => String(i + 1)));
    expect(watched.watchRestarts).toBeGreaterThanOrEqual(1);
    expect(proxy.links.length).toBeGreaterThanOrEqual(3);
  });
});
