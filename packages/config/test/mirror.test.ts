import { VirtualScheduler } from '@ballast/core';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import { MemoryStore } from '../src/memory-store.js';
import { Mirror, type MirrorChange } from '../src/mirror.js';
import { expectWaitOf } from './expect-wait.js';
import type { RangeResult } from '../src/kv-store.js';

/**
 * A real MemoryStore whose history is compacted (and written) between a mirror's read and its
 * watch; the `failures` reads after that one fail, as reads of an unreachable cluster do.
 */
class CompactsAfterFirstRead extends MemoryStore {
  #armed = true;
  reads = 0;
  constructor(private failures = 0) {
    super();
  }
  override async range(prefix: string): Promise<RangeResult> {
    this.reads++;
    if (!this.#armed && this.failures > 0) {
      this.failures--;
      throw new StoreUnavailableError(['memory'], 0);
    }
    const read = await super.range(prefix);
    if (this.#armed) {
      this.#armed = false;
      await this.put(`${prefix}late`, 'written in the gap');
      await this.compact(this.revision);
    }
    return read;
  }
}

/** A mirror on virtual time whose history is compacted while its next `failures` re-reads fail. */
async function compactedWhileUnreachable(failures: number) {
  const scheduler = new VirtualScheduler();
  const store = new CompactsAfterFirstRead(failures);
  const mirror = await Mirror.start(store, '/m/', { scheduler, logger: pino({ level: 'silent' }) });
  await vi.waitFor(() => expect(store.reads).toBe(2), { timeout: 1_000 });
  return { scheduler, store, mirror };
}

describe('Mirror', () => {
  it('re-reads and says so when history it needs was compacted, so nothing is missed', async () => {
    const store = new CompactsAfterFirstRead();
    await store.put('/m/early', '1');
    const mirror = await Mirror.start(store, '/m/');
    const changes: MirrorChange[] = [];
    mirror.onChange((c) => changes.push(c));
    try {
      await vi.waitFor(() => expect(mirror.resyncs).toBe(1), { timeout: 5000 });
      await vi.waitFor(() => expect([...mirror.kvs.keys()]).toEqual(['/m/early', '/m/late']), { timeout: 5000 });
      await store.put('/m/after', '2');
      await vi.waitFor(() => expect([...mirror.kvs.keys()].sort()).toEqual(['/m/after', '/m/early', '/m/late']), {
        timeout: 5000,
      });
      expect(changes.at(-1)?.reason).toBe('events');
    } finally {
      await mirror.close();
      await store.close();
    }
  });

  it('waits the reconnect backoff between failed re-reads on its scheduler', async () => {
    const { scheduler, store, mirror } = await compactedWhileUnreachable(2);
    try {
      await expectWaitOf(scheduler, 100, () => store.reads);
      await expectWaitOf(scheduler, 200, () => store.reads);
      await vi.waitFor(() => expect([...mirror.kvs.keys()]).toEqual(['/m/late']), { timeout: 1_000 });
    } finally {
      await mirror.close();
      await store.close();
    }
  });

  it('close() during the re-read backoff ends the wait: no timer is left behind', async () => {
    const { scheduler, store, mirror } = await compactedWhileUnreachable(1);
    try {
      await scheduler.advanceAsync(0);
      expect(scheduler.pending).toBe(1);
      await mirror.close();
      expect(scheduler.pending).toBe(0);
      await scheduler.advanceAsync(1_000);
      expect(store.reads).toBe(2);
    } finally {
      await store.close();
    }
  });
});
