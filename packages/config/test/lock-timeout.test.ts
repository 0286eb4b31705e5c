import { VirtualScheduler } from '@ballast/core';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LockTimeoutError } from '../src/errors.js';
import { acquireLock } from '../src/lock.js';
import { MemoryStore } from '../src/memory-store.js';

describe('acquireLock on virtual time', () => {
  it('gives up waiting exactly at timeoutMs on its scheduler, naming the time waited', async () => {
    const scheduler = new VirtualScheduler();
    const store = new MemoryStore({ scheduler, sweepIntervalMs: 0 });
    const options = { root: '/locks/', scheduler, logger: pino({ level: 'silent' }) };
    const holder = await acquireLock(store, 'inventory', options);
    try {
      let outcome: unknown;
      const waiting = acquireLock(store, 'inventory', { ...options, timeoutMs: 5_000 }).then(
        (handle) => (outcome = handle),
        (error: unknown) => (outcome = error),
      );
      await vi.waitFor(async () => expect((await store.range('/locks/inventory/')).kvs).toHaveLength(2), {
        timeout: 1_000,
      });
      await scheduler.advanceAsync(4_999);
      expect(outcome).toBeUndefined();
      await scheduler.advanceAsync(1);
      await waiting;
      expect(outcome).toBeInstanceOf(LockTimeoutError);
      expect((outcome as LockTimeoutError).waitedMs).toBe(5_000);
      expect(holder.holding).toBe(true);
    } finally {
      await holder.release();
      await store.close();
    }
    expect(scheduler.pending).toBe(0);
  });
});
