import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdNotFoundError, findEtcd, startEtcdCluster, type EtcdCluster } from '../src/index.js';

describe('findEtcd', () => {
  it('says what is missing and how to install it', () => {
    expect(() => findEtcd({ PATH: '/nonexistent' })).toThrow(EtcdNotFoundError);
    expect(() => findEtcd({ PATH: '/nonexistent' })).toThrow(/apt-get install etcd-server/);
    expect(() => findEtcd({ ETCD_BIN: '/nonexistent/etcd' })).toThrow(/ETCD_BIN=\/nonexistent\/etcd/);
  });
});

describe('a 3-member loopback cluster', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 3 });
    // A 1 s deadline on unary calls turns a call stuck on a dead member into a quick retry.
    client = new Etcd3({
      hosts: cluster.endpoints,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 1000 }),
    });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('elects a leader and serves put/get', async () => {
    expect(cluster.members).toHaveLength(3);
    expect(cluster.members.every((m) => m.running)).toBe(true);
    // Without the tls option nothing changes: plain http client URLs.
    expect(cluster.endpoints.every((url) => /^http:\/\/127\.0\.0\.1:\d+$/.test(url))).toBe(true);
    await client.put('greeting').value('hello');
    expect(await client.get('greeting').string()).toBe('hello');
  });

  it('survives SIGKILL of its leader: a new leader is elected and a put succeeds again', async () => {
    const old = await cluster.kill('leader');
    expect(old.running).toBe(false);
    const started = Date.now();
    let written = false;
    while (!written && Date.now() - started < 10_000) {
      written = await client
        .put('after-failover')
        .value('yes')
        .then(
          () => true,
          () => false,
        );
    }
    expect(written).toBe(true);
    expect(await client.get('after-failover').string()).toBe('yes');
    const leader = await cluster.waitForLeader();
    expect(leader).not.toBe(old);

    await cluster.restart(old);
    expect(old.running).toBe(true);
  });

  it('pauses a follower with SIGSTOP and keeps serving from the majority', async () => {
    const follower = await cluster.pause('follower');
    try {
      await client.put('while-paused').value('ok');
      expect(await client.get('while-paused').string()).toBe('ok');
    } finally {
      cluster.resume(follower);
    }
  });
});
