import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CompactedError, LeaseNotFoundError, ValueTooLargeError } from '../src/errors.js';
import type { KvStore, WatchBatch, WatchHandle } from '../src/kv-store.js';

export interface ContractSubject {
  store: KvStore;
  /** Lets `ttlSeconds` pass for leases: a manual clock advances, a real cluster just waits. */
  elapse(ttlSeconds: number): void;
  /** Bound for waiting on something the store does in its own time (lease expiry on etcd). */
  waitMs: number;
  close(): Promise<void>;
}

/** The KvStore contract: every implementation runs this same suite. */
export function kvStoreContract(name: string, create: () => Promise<ContractSubject>): void {
  describe(`KvStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: KvStore;
    let p: string;
    const watches: WatchHandle[] = [];

    beforeEach(async () => {
      subject = await create();
      store = subject.store;
      p = `/contract/${randomUUID()}/`;
    });

    afterEach(async () => {
      await Promise.all(watches.splice(0).map((w) => w.close()));
      await subject.close();
    });

    function collect(into: WatchBatch[], compacted?: number[]) {
      return {
        onEvents: (batch: WatchBatch) => into.push(batch),
        onCompacted: (revision: number) => compacted?.push(revision),
      };
    }

    it('put then get returns the value with versions and revisions', async () => {
      const first = await store.put(`${p}a`, 'one');
      const second = await store.put(`${p}a`, 'two');
      expect(second.revision).toBeGreaterThan(first.revision);
      const got = await store.get(`${p}a`);
      expect(got.kv).toMatchObject({ key: `${p}a`, value: 'two', version: 2 });
      expect(got.kv!.createRevision).toBe(first.revision);
      expect(got.kv!.modRevision).toBe(second.revision);
      expect(got.revision).toBeGreaterThanOrEqual(second.revision);
      expect((await store.get(`${p}missing`)).kv).toBeUndefined();
    });

    it('delete removes a key, counts it, and a re-created key starts at version 1', async () => {
      await store.put(`${p}a`, 'x');
      expect((await store.delete(`${p}a`)).deleted).toBe(1);
      expect((await store.delete(`${p}a`)).deleted).toBe(0);
      expect((await store.get(`${p}a`)).kv).toBeUndefined();
      await store.put(`${p}a`, 'y');
      expect((await store.get(`${p}a`)).kv?.version).toBe(1);
    });

    it('range returns only keys under the prefix, sorted', async () => {
      await store.put(`${p}b`, '2');
      await store.put(`${p}a`, '1');
      await store.put(`${p.slice(0, -1)}x`, 'outside');
      const { kvs } = await store.range(p);
      expect(kvs.map((kv) => [kv.key, kv.value])).toEqual([
        [`${p}a`, '1'],
        [`${p}b`, '2'],
      ]);
    });

    it('txn compares value and version and runs then or else ops', async () => {
      await store.put(`${p}k`, 'v1');
      const hit = await store.txn({
        compare: [{ key: `${p}k`, target: 'value', op: '==', value: 'v1' }],
        success: [{ type: 'put', key: `${p}k`, value: 'v2' }],
        failure: [{ type: 'get', key: `${p}k` }],
      });
      expect(hit.succeeded).toBe(true);
      const miss = await store.txn({
        compare: [{ key: `${p}k`, target: 'value', op: '==', value: 'v1' }],
        success: [{ type: 'put', key: `${p}k`, value: 'never' }],
        failure: [{ type: 'get', key: `${p}k` }],
      });
      expect(miss.succeeded).toBe(false);
      expect(miss.results[0]).toMatchObject({ type: 'get', kv: { value: 'v2', version: 2 } });
      const create = await store.txn({
        compare: [{ key: `${p}new`, target: 'version', op: '==', value: 0 }],
        success: [{ type: 'put', key: `${p}new`, value: 'created' }],
      });
      expect(create.succeeded).toBe(true);
      expect((await store.get(`${p}new`)).kv?.value).toBe('created');
    });

    it('compare-and-swap on mod revision lets exactly one of two concurrent writers win', async () => {
      const { revision } = await store.put(`${p}cas`, '0');
      const attempt = (value: string) =>
        store.txn({
          compare: [{ key: `${p}cas`, target: 'modRevision', op: '==', value: revision }],
          success: [{ type: 'put', key: `${p}cas`, value }],
        });
      const results = await Promise.all([attempt('a'), attempt('b')]);
      expect(results.filter((r) => r.succeeded)).toHaveLength(1);
      const winner = results[0]!.succeeded ? 'a' : 'b';
      expect((await store.get(`${p}cas`)).kv?.value).toBe(winner);
    });

    it('watch from a past revision replays history, then follows live changes, once each', async () => {
      const first = await store.put(`${p}w/1`, 'a');
      await store.put(`${p}w/2`, 'b');
      await store.put(`${p}other`, 'not watched');
      const batches: WatchBatch[] = [];
      watches.push(await store.watch({ key: `${p}w/`, prefix: true, fromRevision: first.revision }, collect(batches)));
      await store.delete(`${p}w/1`);
      const last = await store.put(`${p}w/3`, 'c');
      await vi.waitFor(() => expect(batches.at(-1)?.revision).toBe(last.revision), { timeout: 10_000 });
      const seen = batches.flatMap((b) => b.events.map((e) => (e.type === 'put' ? `put ${e.kv.value}` : 'delete')));
      expect(seen).toEqual(['put a', 'put b', 'delete', 'put c']);
      const revisions = batches.map((b) => b.revision);
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(new Set(revisions).size).toBe(revisions.length);
    });

    it('a key watch sees only that key', async () => {
      const batches: WatchBatch[] = [];
      watches.push(await store.watch({ key: `${p}one` }, collect(batches)));
      await store.put(`${p}one-more`, 'no');
      const hit = await store.put(`${p}one`, 'yes');
      await vi.waitFor(() => expect(batches.at(-1)?.revision).toBe(hit.revision), { timeout: 10_000 });
      expect(batches).toHaveLength(1);
    });

    it('a watch from a compacted revision reports compaction', async () => {
      const old = await store.put(`${p}c`, '1');
      const now = await store.put(`${p}c`, '2');
      await store.compact(now.revision);
      const compacted: number[] = [];
      watches.push(await store.watch({ key: `${p}c`, fromRevision: old.revision }, collect([], compacted)));
      await vi.waitFor(() => expect(compacted).toHaveLength(1), { timeout: 10_000 });
    });

    it('revoking a lease deletes its keys and the watch sees the delete', async () => {
      const lease = await store.grantLease(5);
      await store.put(`${p}leased`, 'v', { lease });
      expect((await store.get(`${p}leased`)).kv?.lease).toBe(lease);
      expect(await store.keepAliveOnce(lease)).toBeGreaterThan(0);
      const batches: WatchBatch[] = [];
      watches.push(await store.watch({ key: `${p}leased` }, collect(batches)));
      await store.revokeLease(lease);
      expect((await store.get(`${p}leased`)).kv).toBeUndefined();
      await vi.waitFor(() => expect(batches.flatMap((b) => b.events)).toMatchObject([{ type: 'delete' }]), {
        timeout: 10_000,
      });
      await expect(store.keepAliveOnce(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
      await expect(store.put(`${p}late`, 'v', { lease })).rejects.toBeInstanceOf(LeaseNotFoundError);
    });

    it('an expired lease deletes its keys; a kept-alive one does not', async () => {
      const dying = await store.grantLease(2);
      await store.put(`${p}dying`, 'v', { lease: dying });
      subject.elapse(3);
      await vi.waitFor(async () => expect((await store.get(`${p}dying`)).kv).toBeUndefined(), {
        timeout: subject.waitMs,
        interval: 100,
      });
      await expect(store.keepAliveOnce(dying)).rejects.toBeInstanceOf(LeaseNotFoundError);
    });

    it('rejects a value over 1.5 MiB before sending it', async () => {
      const big = 'x'.repeat(1.5 * 1024 * 1024);
      await expect(store.put(`${p}big`, big)).rejects.toBeInstanceOf(ValueTooLargeError);
      await expect(store.txn({ compare: [], success: [{ type: 'put', key: `${p}big`, value: big }] })).rejects.toThrow(
        /over the \d+-byte limit/,
      );
      expect((await store.get(`${p}big`)).kv).toBeUndefined();
    });

    it('compacting an already compacted revision is an error', async () => {
      const { revision } = await store.put(`${p}z`, '1');
      await store.compact(revision);
      await expect(store.compact(revision)).rejects.toBeInstanceOf(CompactedError);
    });
  });
}
