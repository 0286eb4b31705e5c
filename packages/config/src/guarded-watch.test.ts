import { EventEmitter } from 'node:events';
import { VirtualScheduler } from '@ballast/core';
import type { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { expectWaitOf } from '../test/expect-wait.js';
import { GuardedWatch } from './guarded-watch.js';

const quiet = pino({ level: 'silent' });

/** etcd3 clients whose watch streams the test drives: `connect` says whether a new stream confirms. */
function fakeClients(options: { connect: boolean }) {
  const streams: EventEmitter[] = [];
  let closed = 0;
  const newClient = () => {
    const stream = new EventEmitter();
    streams.push(stream);
    if (options.connect) queueMicrotask(() => stream.emit('connected'));
    const builder: Record<string, () => unknown> = {
      startRevision: () => builder,
      key: () => builder,
      inRange: () => builder,
      watcher: () => stream,
    };
    return { watch: () => builder, close: () => void closed++ } as unknown as Etcd3;
  };
  return { newClient, streams, closed: () => closed };
}

function guardedWatch(scheduler: VirtualScheduler, clients: ReturnType<typeof fakeClients>, changed: number[][]) {
  const checks: number[] = [];
  const watch = new GuardedWatch(
    { key: '/k' },
    { onEvents: () => {} },
    {
      newClient: clients.newClient,
      changedSince: async () => {
        checks.push(scheduler.now());
        return changed.shift() ?? [];
      },
      isCompacted: async () => false,
      checkIntervalMs: 1_000,
      logger: quiet,
      scheduler,
    },
    1,
  );
  return { watch, checks };
}

/** A started watch on virtual time whose stream has just failed. */
async function failedStream() {
  const scheduler = new VirtualScheduler();
  const clients = fakeClients({ connect: true });
  const { watch } = guardedWatch(scheduler, clients, []);
  await watch.start(5_000);
  clients.streams[0]!.emit('error', new Error('stream reset'));
  return { scheduler, clients, watch };
}

describe('GuardedWatch on virtual time', () => {
  it('gives up a stream etcd does not confirm exactly at the start bound, and closes its client', async () => {
    const scheduler = new VirtualScheduler();
    const clients = fakeClients({ connect: false });
    const { watch } = guardedWatch(scheduler, clients, []);
    let outcome: unknown;
    const starting = watch.start(5_000).catch((error: unknown) => (outcome = error));
    await scheduler.advanceAsync(4_999);
    expect(outcome).toBeUndefined();
    await scheduler.advanceAsync(1);
    await starting;
    expect((outcome as Error).message).toBe('watch on "/k" not confirmed in 5000 ms');
    expect(clients.closed()).toBe(1);
    expect(scheduler.pending).toBe(0);
  });

  it('checks every interval, and replaces a stream that stayed silent over a change for a whole interval', async () => {
    const scheduler = new VirtualScheduler();
    const clients = fakeClients({ connect: true });
    const { watch, checks } = guardedWatch(scheduler, clients, [[], [7], [7]]);
    await watch.start(5_000);
    await scheduler.advanceAsync(2_999);
    expect(checks).toEqual([1_000, 2_000]);
    expect(watch.restarts).toBe(0);
    await scheduler.advanceAsync(1);
    expect(checks).toEqual([1_000, 2_000, 3_000]);
    await vi.waitFor(() => expect(watch.restarts).toBe(1), { timeout: 1_000 });
    expect(clients.streams).toHaveLength(2);
    await watch.close();
    expect(scheduler.pending).toBe(0);
  });

  it('reopens a failed stream after the reconnect backoff, on the scheduler', async () => {
    const { scheduler, clients, watch } = await failedStream();
    await expectWaitOf(scheduler, 100, () => clients.streams.length);
    await watch.close();
  });

  it('close() during the reopen backoff ends the wait: no timer is left and no stream reopened', async () => {
    const { scheduler, clients, watch } = await failedStream();
    await scheduler.advanceAsync(0);
    await watch.close();
    expect(scheduler.pending).toBe(0);
    await scheduler.advanceAsync(10_000);
    expect(clients.streams).toHaveLength(1);
  });
});
