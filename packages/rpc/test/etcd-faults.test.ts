import { fileURLToPath } from 'node:url';
import { EtcdStore } from '@ballast/config';
import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnReplica, type EchoReplica } from '@ballast/testing';
import type { Client } from 'nice-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, connection, disconnect, type ConnectOptions } from '../src/index.js';

const replicaMain = fileURLToPath(new URL('./fixtures/registered-replica.ts', import.meta.url));

let cluster: EtcdCluster;
let store: EtcdStore;
const replicas: EchoReplica[] = [];
const clients: Client<typeof EchoServiceDefinition>[] = [];

beforeAll(async () => {
  cluster = await startEtcdCluster({ members: 3 });
  store = await EtcdStore.connect({ endpoints: cluster.endpoints });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => disconnect(c)));
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await store?.close();
  await cluster?.stop();
});

async function startReplica(id: string): Promise<EchoReplica> {
  const replica = await spawnReplica(replicaMain, [id, cluster.endpoints.join(',')], { replica: id });
  replicas.push(replica);
  return replica;
}

function named(id: string): EchoReplica {
  return replicas.find((r) => r.replica === id)!;
}

function client(options: Partial<ConnectOptions> = {}) {
  const c = connect(EchoServiceDefinition, {
    discover: 'echo',
    store,
    healthCheck: { intervalMs: 100 },
    deadlineMs: 3_000,
    ...options,
  });
  clients.push(c);
  return c;
}

/**
 * Calls echo from `concurrency` loops until stop(); `served(n)` resolves once n calls have
 * succeeded in all, so a test injects its fault into load that is really flowing.
 */
function steadyLoad(c: Client<typeof EchoServiceDefinition>, concurrency: number) {
  let done = false;
  const failed: string[] = [];
  let ok = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const loops = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!done) {
        try {
          await c.echo({ message: 'load', delayMs: 1 });
          ok++;
          for (const w of waiters.filter((w) => ok >= w.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        } catch (error) {
          failed.push(String(error));
        }
      }
    }),
  );
  return {
    get ok() {
      return ok;
    },
    served: (n: number) => new Promise<void>((resolve) => (ok >= n ? resolve() : waiters.push({ n, resolve }))),
    async stop() {
      done = true;
      await loops;
      return { ok, failed };
    },
  };
}

/** Resolves when `predicate` holds for the discovered endpoints of `c`. */
async function discovered(c: object, predicate: (ids: string[]) => boolean): Promise<void> {
  await expect
    .poll(
      () =>
        predicate(
          connection(c)!
            .source.current()
            .map((e) => e.id),
        ),
      { timeout: 15_000, interval: 50 },
    )
    .toBe(true);
}

describe('connect() over replicas registered in a real etcd cluster', () => {
  it('loses no call when a replica is SIGKILLed under load', async () => {
    await Promise.all(['k1', 'k2', 'k3'].map(startReplica));
    const c = client();
    await discovered(c, (ids) => ids.length === 3);
    const load = steadyLoad(c, 8);
    await load.served(200);
    await named('k1').crash();
    await load.served(load.ok + 1_000);
    const result = await load.stop();
    expect(result.failed).toEqual([]);
  });

  it('loses no call when a replica drains on SIGTERM, and it leaves the registry', async () => {
    await Promise.all(['t1', 't2', 't3'].map(startReplica));
    const c = client();
    await discovered(c, (ids) => ids.length === 3);
    const load = steadyLoad(c, 8);
    await load.served(200);
    await named('t1').drain();
    await discovered(c, (ids) => !ids.includes('t1'));
    await load.served(load.ok + 500);
    const result = await load.stop();
    expect(result.failed).toEqual([]);
  });

  it('with hedging, loses no call when a replica freezes (SIGSTOP), and the detector ejects it', async () => {
    await Promise.all(['f1', 'f2', 'f3'].map(startReplica));
    const c = client({ hedging: { delayMs: 50 }, deadlineMs: 2_000 });
    await discovered(c, (ids) => ids.length === 3);
    const load = steadyLoad(c, 8);
    await load.served(200);
    named('f1').freeze();
    try {
      await expect
        .poll(() => connection(c)!.detector!.state('f1')?.type, { timeout: 5_000, interval: 50 })
        .not.toBe('up');
      await load.served(load.ok + 1_000);
      const result = await load.stop();
      expect(result.failed).toEqual([]);
    } finally {
      named('f1').thaw();
    }
  });

  it('sends traffic to a new replica once the registry watch reports it', async () => {
    await Promise.all(['n1', 'n2'].map(startReplica));
    // Slow start off: this is about discovery, not about ramping a newcomer up.
    const c = client({ balancer: 'round-robin', slowStart: false });
    await discovered(c, (ids) => ids.length === 2);
    await c.echo({ message: 'warm' });
    await startReplica('n3');
    await discovered(c, (ids) => ids.includes('n3'));
    // Round-robin over three: one full turn reaches the new replica, however busy the machine is.
    const answered = [];
    for (let i = 0; i < 3; i++) answered.push((await c.echo({ message: 'who' })).replica);
    expect(answered).toContain('n3');
  });
});
