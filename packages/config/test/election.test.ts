import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Candidacy } from '../src/candidacy.js';
import { Election, type LeaderInfo } from '../src/election.js';
import { LockTimeoutError, NotLeaderError } from '../src/errors.js';
import type { KvStore } from '../src/kv-store.js';
import { acquireLock } from '../src/lock.js';
import { STORES } from './stores.js';

for (const { name, open } of STORES) {
  describe(`election and lock on ${name}`, () => {
    let store: KvStore;
    let root: string;
    const held: Candidacy[] = [];
    const disposers: (() => void)[] = [];

    beforeEach(async () => {
      store = await open();
      root = `/test-${randomUUID()}/`;
    });
    afterEach(async () => {
      for (const d of disposers.splice(0)) d();
      for (const c of held.splice(0)) await c.release();
      await store.close();
    });

    it('elects one leader; resign hands over with a larger fencing token; stale tokens are refused', async () => {
      const election = new Election(store, 'jobs', { root, ttlSeconds: 5 });
      const leaders: (LeaderInfo | undefined)[] = [];
      disposers.push(await election.observe((l) => leaders.push(l)));
      const a = await election.campaign('a');
      held.push(a);
      const bPromise = election.campaign('b');
      await vi.waitFor(async () => expect((await store.range(election.prefix)).kvs).toHaveLength(2), {
        timeout: 10_000,
      });
      expect(await election.leader()).toEqual({ value: 'a', token: a.token });
      const accepted = await a.fencedTxn({ compare: [], success: [{ type: 'put', key: `${root}out`, value: 'a' }] });
      expect(accepted.succeeded).toBe(true);

      await a.resign();
      const b = await bPromise;
      held.push(b);
      expect(b.token).toBeGreaterThan(a.token);
      expect(await election.leader()).toEqual({ value: 'b', token: b.token });
      await expect(a.fencedTxn({ compare: [], success: [] })).rejects.toBeInstanceOf(NotLeaderError);
      // A stale leader that skipped its own check still cannot write: the fence is in etcd.
      const stale = await store.txn({
        compare: [{ key: a.key, target: 'createRevision', op: '==', value: a.token }],
        success: [{ type: 'put', key: `${root}out`, value: 'stale' }],
      });
      expect(stale.succeeded).toBe(false);
      await vi.waitFor(() => expect(leaders.map((l) => l?.value)).toEqual([undefined, 'a', 'b']), { timeout: 10_000 });
    });

    it('a leader whose lease disappears is told (onLost) and can no longer write', async () => {
      const election = new Election(store, 'lost', { root, ttlSeconds: 5 });
      const leader = await election.campaign('x');
      held.push(leader);
      const reasons: string[] = [];
      leader.onLost((r) => reasons.push(r));
      const lease = leader.key.slice(election.prefix.length);
      await store.revokeLease(lease);
      await vi.waitFor(() => expect(reasons).toHaveLength(1), { timeout: 10_000 });
      expect(leader.holding).toBe(false);
      await expect(leader.fencedTxn({ compare: [], success: [] })).rejects.toBeInstanceOf(NotLeaderError);
    });

    it('campaign stops waiting on abort and withdraws', async () => {
      const election = new Election(store, 'abort', { root });
      held.push(await election.campaign('first'));
      const controller = new AbortController();
      const waiting = election.campaign('second', { signal: controller.signal });
      await vi.waitFor(async () => expect((await store.range(election.prefix)).kvs).toHaveLength(2), {
        timeout: 10_000,
      });
      controller.abort(new Error('shutting down'));
      await expect(waiting).rejects.toThrow('shutting down');
      await vi.waitFor(async () => expect((await store.range(election.prefix)).kvs).toHaveLength(1), {
        timeout: 10_000,
      });
    });

    it('a lock waits for its holder, times out with LockTimeoutError, and fences by token', async () => {
      const first = await acquireLock(store, 'inventory', { root });
      held.push(first);
      await expect(acquireLock(store, 'inventory', { root, timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
      const second = acquireLock(store, 'inventory', { root, timeoutMs: 20_000 });
      await first.release();
      const next = await second;
      held.push(next);
      expect(next.token).toBeGreaterThan(first.token);
      const write = await next.fencedTxn({ compare: [], success: [{ type: 'put', key: `${root}stock`, value: '1' }] });
      expect(write.succeeded).toBe(true);
      expect((await store.range(`${root}`)).kvs.some((kv) => kv.key.endsWith('stock'))).toBe(true);
    });
  });
}
