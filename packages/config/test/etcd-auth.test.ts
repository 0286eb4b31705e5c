import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreAuthError } from '../src/errors.js';
import { EtcdStore } from '../src/etcd-store.js';

const run = promisify(execFile);

// A cluster of our own: turning auth on would break every other suite on the shared one.
describe('EtcdStore with etcd auth enabled', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 1 });
    const etcdctl = (...args: string[]) => run('etcdctl', ['--endpoints', cluster.endpoints[0]!, ...args]);
    await etcdctl('user', 'add', 'root:root-secret');
    await etcdctl('auth', 'enable');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('passes username and password through to etcd', async () => {
    const store = await EtcdStore.connect({
      endpoints: cluster.endpoints,
      auth: { username: 'root', password: 'root-secret' },
    });
    try {
      await store.put('/auth/k', 'v');
      expect((await store.get('/auth/k')).kv?.value).toBe('v');
    } finally {
      await store.close();
    }
  });

  it('fails fast with StoreAuthError on wrong or missing credentials, instead of retrying', async () => {
    const wrong = EtcdStore.connect({
      endpoints: cluster.endpoints,
      auth: { username: 'root', password: 'nope' },
      startupTimeoutMs: 20_000,
    });
    await expect(wrong).rejects.toBeInstanceOf(StoreAuthError);
    await expect(EtcdStore.connect({ endpoints: cluster.endpoints, startupTimeoutMs: 20_000 })).rejects.toThrow(
      /refused the request: .*check the auth username and password/,
    );
  });
});
