import type { VirtualScheduler } from '@ballast/core';
import { expect } from 'vitest';

/**
 * Moves `scheduler` on by `ms` and checks that what `count` counts (reads, lease grants, streams)
 * moved on in its last millisecond and not before: the shell under test waited exactly `ms` on the
 * scheduler. The next attempt must start within the advance, so no real timer can pass for it.
 */
export async function expectWaitOf(scheduler: VirtualScheduler, ms: number, count: () => number): Promise<void> {
  const before = count();
  await scheduler.advanceAsync(ms - 1);
  expect(count(), `nothing happens before ${ms} ms`).toBe(before);
  await scheduler.advanceAsync(1);
  expect(count(), `the next attempt starts at ${ms} ms`).toBe(before + 1);
}
