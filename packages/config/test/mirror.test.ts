import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../src/memory-store.js';
import { Mirror, type MirrorChange } from '../src/mirror.js';
import type { RangeResult } from '../src/kv-store.js';

/** A real MemoryStore whose history is compacted (and written) between a mirror's read and its watch. */
class CompactsAfterFirstRead extends MemoryStore {
  #armed = true;
  override async range(prefix: string): Promise<RangeResult> {
    const read = await super.range(prefix);
    if (this.#armed) {
      this.#armed = false;
      await this.put(`${prefix}late`, 'written in the gap');
      await this.compact(this.revision);
    }
    return read;
  }
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
});
