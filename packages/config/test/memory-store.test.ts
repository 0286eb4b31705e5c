import { ManualClock } from '@ballast/core';
import { describe, expect, it } from 'vitest';
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
