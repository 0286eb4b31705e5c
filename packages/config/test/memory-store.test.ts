import { ManualClock, VirtualScheduler } from '@ballast/core';
import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../src/memory-store.js';
import { kvStoreContract } from './kv-store-contract.js';

kvStoreContract('MemoryStore', async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
  return {
    store,
    elapse: (seconds) => clock.advance(seconds * 1000),
    waitMs: 1000,
    close: () => store.close(),
  };
});

describe('MemoryStore leases on the injected clock', () => {
  it('expire exactly at the TTL, and a keepalive pushes expiry out by a full TTL', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
    try {
      const lease = await store.grantLease(10);
      await store.put('k', 'v', { lease });
      clock.advance(9_999);
      expect((await store.get('k')).kv).toBeDefined();
      await store.keepAliveOnce(lease);
      clock.advance(9_999);
      expect((await store.get('k')).kv).toBeDefined();
      clock.advance(1);
      expect((await store.get('k')).kv).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('MemoryStore leases on the injected scheduler', () => {
  it('the background sweep runs on the scheduler: a lease expires when virtual time passes its TTL, not before', async () => {
    const scheduler = new VirtualScheduler();
    const store = new MemoryStore({ scheduler, sweepIntervalMs: 250 });
    try {
      const lease = await store.grantLease(1);
      await store.put('k', 'v', { lease });
      const deletes: number[] = [];
      await store.watch({ key: 'k' }, { onEvents: () => deletes.push(scheduler.now()) });
      const before = store.revision;
      // Only the sweep looks at leases here: no call is made on the store while time passes.
      scheduler.advance(999);
      expect(store.revision).toBe(before);
      scheduler.advance(1);
      expect(store.revision).toBe(before + 1);
      await vi.waitFor(() => expect(deletes).toEqual([1_000]), { timeout: 1_000 });
    } finally {
      await store.close();
    }
    expect(scheduler.pending).toBe(0);
  });
});
