import { randomUUID } from 'node:crypto';
import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Candidacy } from '../src/candidacy.js';
import { Election } from '../src/election.js';
import { EtcdStore } from '../src/etcd-store.js';
import type { WatchBatch } from '../src/kv-store.js';
import { discover } from '../src/registry-source.js';
import { register } from '../src/registration.js';
import { auditWatch, casStream } from '../src/testing/index.js';

// Real faults on a cluster of our own: members are SIGKILLed, SIGSTOPped and restarted from disk.
describe('EtcdStore under etcd faults', () => {
  let cluster: EtcdCluster;
  const cleanups: (() => Promise<unknown> | void)[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const member of cluster.members) if (!member.running) await cluster.restart(member);
    await cluster.waitForLeader(20_000);
  });

  async function open(): Promise<EtcdStore> {
    const store = await EtcdStore.connect({ endpoints: cluster.endpoints });
    cleanups.push(() => store.close());
    return store;
  }

  /** A writer, and a second client watching `key` from the next revision into `batches`. */
  async function writerAndWatch(key: string) {
    const writer = await open();
    const watcher = await open();
    const batches: WatchBatch[] = [];
    const watch = await watcher.watch(
      { key, fromRevision: (await writer.get(key)).revision + 1 },
      { onEvents: (b) => batches.push(b) },
    );
    cleanups.push(() => watch.close());
    return { writer, batches };
  }

  it('leader SIGKILL during 1000 CAS writes: 0 acknowledged writes lost, each revision watched exactly once', async () => {
    const key = `/faults/${randomUUID()}/counter`;
    const { writer, batches } = await writerAndWatch(key);
    let killed: Promise<unknown> | undefined;
    let restarted: Promise<unknown> | undefined;
    const result = await casStream(writer, key, 1000, (n) => {
      if (n === 300) killed = cluster.kill('leader');
      if (n === 700) restarted = killed!.then((member) => cluster.restart(member as never));
    });
    await killed;
    await restarted;
    const last = result.acked.at(-1)!;
    await vi.waitFor(() => expect(batches.at(-1)?.revision).toBe(last.revision), { timeout: 20_000 });
    expect(auditWatch(batches, result.acked)).toEqual({ missed: 0, duplicated: 0, outOfOrder: 0, gaps: 0 });
    const { kv } = await writer.get(key);
    expect(Number(kv!.value)).toBe(last.value);
    // A write whose answer was lost in the failover may have applied without an acknowledgement;
    // it shows up in the watch (values stay consecutive) but never as a gap or a repeat.
    const values = result.acked.map((a) => a.value);
    expect(values.every((v, i) => i === 0 || v > values[i - 1]!)).toBe(true);
  });

  it('SIGSTOP of the leader: writes resume and the watch still sees every revision once', async () => {
    const key = `/faults/${randomUUID()}/paused`;
    const { writer, batches } = await writerAndWatch(key);
    let paused: Promise<{ pid?: number } | unknown> | undefined;
    const result = await casStream(writer, key, 300, (n) => {
      if (n === 100) paused = cluster.pause('leader');
    });
    const member = (await paused) as Parameters<EtcdCluster['restart']>[0];
    cleanups.push(() => cluster.resume(member));
    await vi.waitFor(() => expect(batches.at(-1)?.revision).toBe(result.acked.at(-1)!.revision), { timeout: 30_000 });
    expect(auditWatch(batches, result.acked)).toEqual({ missed: 0, duplicated: 0, outOfOrder: 0, gaps: 0 });
  });

  it('whole-cluster restart from the data dirs: registry entries come back, one leader', async () => {
    const root = `/faults/${randomUUID()}/`;
    const store = await open();
    const a = await register(
      store,
      { service: 'catalog', id: 'a', address: '127.0.0.1:5001' },
      { root, ttlSeconds: 5 },
    );
    const b = await register(
      store,
      { service: 'catalog', id: 'b', address: '127.0.0.1:5002' },
      { root, ttlSeconds: 5 },
    );
    cleanups.push(
      () => a.deregister(),
      () => b.deregister(),
    );
    const election = new Election(store, 'restart', { root, ttlSeconds: 3 });
    const leaders = leadershipTracker();
    const candidates = ['x', 'y', 'z'].map((id) => keepCampaigning(election, id, leaders));
    cleanups.push(...candidates.map((c) => c.stop));
    await vi.waitFor(() => expect(candidates.filter((c) => c.holding())).toHaveLength(1), { timeout: 20_000 });

    // Counted at every gain and loss, so an overlap of two leaders is seen however short it is.
    leaders.resetMax();
    await cluster.stopAll();
    await cluster.startAll();

    const source = await discover(await open(), 'catalog', { root });
    cleanups.push(() => source.close());
    await vi.waitFor(() => expect(source.current().map((e) => e.id)).toEqual(['a', 'b']), { timeout: 30_000 });
    await vi.waitFor(() => expect(candidates.filter((c) => c.holding())).toHaveLength(1), { timeout: 30_000 });
    await vi.waitFor(
      async () => expect(candidates.find((c) => c.holding())?.id).toBe((await election.leader())?.value),
      { timeout: 10_000 },
    );
    expect(leaders.maxAtOnce()).toBe(1);
  });
});

/** Who holds leadership now, updated on every gain and loss, and the most holders ever at once. */
function leadershipTracker() {
  const holders = new Set<string>();
  let max = 0;
  return {
    gained(id: string) {
      holders.add(id);
      max = Math.max(max, holders.size);
    },
    lost(id: string) {
      holders.delete(id);
    },
    resetMax() {
      max = holders.size;
    },
    maxAtOnce: () => max,
  };
}

/** A candidate that campaigns again whenever it loses leadership, until stopped. */
function keepCampaigning(election: Election, id: string, leaders: ReturnType<typeof leadershipTracker>) {
  let current: Candidacy | undefined;
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        current = await election.campaign(id, { signal: controller.signal });
        leaders.gained(id);
        await new Promise<void>((resolve) => {
          current!.onLost(() => {
            leaders.lost(id);
            resolve();
          });
          controller.signal.addEventListener('abort', () => resolve());
        });
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();
  return {
    id,
    holding: () => current?.holding ?? false,
    stop: async () => {
      controller.abort();
      await loop;
      await current?.release();
    },
  };
}
