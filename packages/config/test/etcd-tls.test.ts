import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import { EtcdStore } from '../src/etcd-store.js';
import type { WatchBatch, WatchHandle } from '../src/kv-store.js';
import { makeTlsFixtures, type TlsFixtures } from '@ballast/testing';

// A cluster of our own: the shared one serves plain http.
describe('EtcdStore against etcd serving TLS with client-certificate auth', () => {
  let tls: TlsFixtures;
  let cluster: EtcdCluster;
  beforeAll(async () => {
    tls = makeTlsFixtures();
    cluster = await startEtcdCluster({
      members: 1,
      tls: { cert: tls.serverCertFile, key: tls.serverKeyFile, ca: tls.caFile, clientCertAuth: true },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    tls?.remove();
  });

  it('serves https:// client URLs', () => {
    expect(cluster.endpoints).toHaveLength(1);
    expect(cluster.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('puts, gets and watches with the CA and a client certificate', async () => {
    const store = await EtcdStore.connect({
      endpoints: cluster.endpoints,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      startupTimeoutMs: 10_000,
    });
    let watch: WatchHandle | undefined;
    try {
      const batches: WatchBatch[] = [];
      watch = await store.watch({ key: '/tls/', prefix: true }, { onEvents: (batch) => batches.push(batch) });
      const written = await store.put('/tls/k', 'over-tls');
      expect((await store.get('/tls/k')).kv?.value).toBe('over-tls');
      await vi.waitFor(() => expect(batches.at(-1)?.revision).toBe(written.revision), { timeout: 10_000 });
      expect(batches.flatMap((b) => b.events)).toMatchObject([
        { type: 'put', kv: { key: '/tls/k', value: 'over-tls' } },
      ]);
    } finally {
      await watch?.close();
      await store.close();
    }
  });

  it('PEM strings work as well as Buffers', async () => {
    const store = await EtcdStore.connect({
      endpoints: cluster.endpoints,
      tls: { ca: tls.ca.toString(), cert: tls.clientCert.toString(), key: tls.clientKey.toString() },
    });
    try {
      await store.put('/tls/string', 'yes');
      expect((await store.get('/tls/string')).kv?.value).toBe('yes');
    } finally {
      await store.close();
    }
  });

  it('without a client certificate, connect fails with StoreUnavailableError within the startup timeout', async () => {
    const started = Date.now();
    const error = await EtcdStore.connect({
      endpoints: cluster.endpoints,
      tls: { ca: tls.ca },
      startupTimeoutMs: 1500,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
    expect((error as Error).message).toMatch(/https:\/\/127\.0\.0\.1:\d+ within \d+ ms: .*TLS/);
    // The TLS alert from etcd, not the member breaker's "circuit is open", says what is wrong.
    expect((error as Error).message).toMatch(/last error: .*bad certificate/);
    // Generous: the budget is 1.5 s, the rest is slack for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a plain http:// endpoint against the TLS member fails clearly too', async () => {
    const plain = cluster.endpoints.map((url) => url.replace(/^https:/, 'http:'));
    const error = await EtcdStore.connect({ endpoints: plain, startupTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/no etcd member answered at http:\/\/127\.0\.0\.1:\d+/);
    expect((error as Error).message).toMatch(/last error: 14 UNAVAILABLE/);
  });
});
