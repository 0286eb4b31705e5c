import { pino } from 'pino';
import { VirtualScheduler } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { LeaseNotFoundError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { LeaseKeeper } from './lease-keeper.js';

const quiet = pino({ level: 'silent' });

/** The three lease calls a LeaseKeeper makes, answered on demand. */
function leaseStore(ttlSeconds: number) {
  const state = { keepAlives: 0, failure: undefined as Error | undefined, revoked: 0 };
  const store = {
    grantLease: async () => '42',
    keepAliveOnce: async () => {
      state.keepAlives++;
      if (state.failure) throw state.failure;
      return ttlSeconds;
    },
    revokeLease: async () => {
      state.revoked++;
    },
  } as unknown as KvStore;
  return { store, state };
}

describe('LeaseKeeper on virtual time', () => {
  it('renews every ttl/3 and stays alive while keepalives succeed', async () => {
    const scheduler = new VirtualScheduler();
    const { store, state } = leaseStore(3);
    const keeper = await LeaseKeeper.grant(store, { ttlSeconds: 3, scheduler, logger: quiet });
    await scheduler.advanceAsync(10_000);
    expect(state.keepAlives).toBe(10);
    expect(keeper.alive).toBe(true);
    await keeper.revoke();
    expect(state.revoked).toBe(1);
    expect(scheduler.pending).toBe(0);
  });

  it('declares the lease lost at its safety deadline (ttl − margin) when keepalives keep failing', async () => {
    const scheduler = new VirtualScheduler();
    const { store, state } = leaseStore(5);
    const keeper = await LeaseKeeper.grant(store, { ttlSeconds: 5, scheduler, logger: quiet });
    const lost: [string, number][] = [];
    keeper.onLost((reason) => lost.push([reason, scheduler.now()]));
    state.failure = new Error('14 UNAVAILABLE: connect ECONNREFUSED');
    await scheduler.advanceAsync(3_999);
    expect(keeper.alive).toBe(true);
    await scheduler.advanceAsync(1);
    // margin = max(250, ttl/5) = 1 000 ms: lost at 5 000 − 1 000, before etcd could expire it.
    expect(lost).toEqual([['no successful keepalive before the safety deadline', 4_000]]);
    expect(keeper.state).toMatchObject({ type: 'lost' });
    expect(scheduler.pending).toBe(0);
  });

  it('loses the lease at once when etcd says it is gone, and one throwing listener stops no other', async () => {
    const scheduler = new VirtualScheduler();
    const { store, state } = leaseStore(3);
    const keeper = await LeaseKeeper.grant(store, { ttlSeconds: 3, scheduler, logger: quiet });
    const heard: string[] = [];
    keeper.onLost(() => {
      throw new Error('a broken subscriber');
    });
    keeper.onLost((reason) => heard.push(reason));
    state.failure = new LeaseNotFoundError('42');
    await scheduler.advanceAsync(1_000);
    expect(heard).toEqual(['etcd reports the lease expired']);
    expect(scheduler.now()).toBe(1_000);
  });
});
