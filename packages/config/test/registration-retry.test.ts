import { VirtualScheduler } from '@ballast/core';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import { MemoryStore } from '../src/memory-store.js';
import { register, type RegistrationState } from '../src/registration.js';
import { expectWaitOf } from './expect-wait.js';

/** A MemoryStore that refuses the next `failures` lease grants, as an unreachable cluster does. */
class RefusesGrants extends MemoryStore {
  grants = 0;
  failures = 0;
  override async grantLease(ttlSeconds: number): Promise<string> {
    this.grants++;
    if (this.failures > 0) {
      this.failures--;
      throw new StoreUnavailableError(['memory'], 0);
    }
    return super.grantLease(ttlSeconds);
  }
}

/** A registration on virtual time whose entry is deleted while the next `failures` grants fail. */
async function deletedWhileUnreachable(failures: number) {
  const scheduler = new VirtualScheduler();
  const store = new RefusesGrants({ scheduler, sweepIntervalMs: 0 });
  const registration = await register(
    store,
    { service: 'catalog', id: 'a', address: '127.0.0.1:5001' },
    { scheduler, logger: pino({ level: 'silent' }) },
  );
  const states: RegistrationState['type'][] = [];
  registration.onStateChange((state) => states.push(state.type));
  store.failures = failures;
  await store.delete(registration.key);
  await vi.waitFor(() => expect(store.grants).toBe(2), { timeout: 1_000 });
  return { scheduler, store, registration, states };
}

describe('Registration on virtual time', () => {
  it('re-registers a deleted entry, waiting the reconnect backoff on its scheduler between failed attempts', async () => {
    const { scheduler, store, registration, states } = await deletedWhileUnreachable(2);
    try {
      await expectWaitOf(scheduler, 100, () => store.grants);
      expect(registration.state.type).toBe('lost');
      await expectWaitOf(scheduler, 200, () => store.grants);
      await vi.waitFor(() => expect(registration.state.type).toBe('registered'), { timeout: 1_000 });
      expect(states).toEqual(['lost', 'registered']);
      expect((await store.get(registration.key)).kv).toBeDefined();
    } finally {
      await registration.deregister();
      await store.close();
    }
    expect(scheduler.pending).toBe(0);
  });

  it('deregister() during the backoff ends the wait: no timer is left behind', async () => {
    const { scheduler, store, registration } = await deletedWhileUnreachable(1);
    try {
      await scheduler.advanceAsync(0);
      expect(scheduler.pending).toBe(1);
      await registration.deregister();
      expect(scheduler.pending).toBe(0);
    } finally {
      await store.close();
    }
  });
});
