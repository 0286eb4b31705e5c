import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Election, type Leadership } from '../src/election.js';
import { EtcdStore } from '../src/etcd-store.js';
import { etcdEndpoints } from './etcd-endpoints.js';
import { TcpProxy } from './tcp-proxy.js';

describe('a partitioned leader', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('steps down (onLost) before the other candidate can be elected', { timeout: 40_000 }, async () => {
    const root = `/partition/${randomUUID()}/`;
    const proxy = await TcpProxy.start(etcdEndpoints()[0]!);
    cleanups.push(() => proxy.close());
    const cutOff = await EtcdStore.connect({ endpoints: [proxy.url] });
    cleanups.push(() => cutOff.close());
    const direct = await EtcdStore.connect({ endpoints: etcdEndpoints() });
    cleanups.push(() => direct.close());

    const ttlSeconds = 3;
    const a = await new Election(cutOff, 'p', { root, ttlSeconds }).campaign('a');
    cleanups.push(() => a.release());
    const lostAt = new Promise<number>((resolve) => a.onLost(() => resolve(performance.now())));
    const bElected = new Election(direct, 'p', { root, ttlSeconds }).campaign('b').then((b: Leadership) => {
      cleanups.push(() => b.release());
      return { at: performance.now(), b };
    });

    const partitionedAt = performance.now();
    proxy.partition();
    const [lost, elected] = await Promise.all([lostAt, bElected]);
    expect(lost).toBeLessThan(elected.at);
    expect(lost - partitionedAt).toBeLessThan((ttlSeconds + 2) * 1000);
    expect(a.holding).toBe(false);
    expect(elected.b.token).toBeGreaterThan(a.token);
  });
});
