import { isAbortError } from 'abort-controller-x';
import { describe, expect, it } from 'vitest';
import { systemScheduler, VirtualScheduler } from './scheduler.js';

describe('VirtualScheduler', () => {
  it('fires due timers in time order, each at its own instant, and skips cleared ones', () => {
    const scheduler = new VirtualScheduler(100);
    const fired: string[] = [];
    scheduler.setTimeout(() => fired.push(`b@${scheduler.now()}`), 20);
    scheduler.setTimeout(() => fired.push(`a@${scheduler.now()}`), 10);
    scheduler.setTimeout(() => fired.push(`a2@${scheduler.now()}`), 10);
    const cleared = scheduler.setTimeout(() => fired.push('never'), 5);
    scheduler.clearTimeout(cleared);
    scheduler.advance(15);
    expect(fired).toEqual(['a@110', 'a2@110']);
    expect(scheduler.now()).toBe(115);
    scheduler.advance(5);
    expect(fired).toEqual(['a@110', 'a2@110', 'b@120']);
    expect(scheduler.pending).toBe(0);
  });

  it('fires a timer that a firing timer sets, when it falls within the same advance', () => {
    const scheduler = new VirtualScheduler();
    const fired: number[] = [];
    scheduler.setTimeout(() => scheduler.setTimeout(() => fired.push(scheduler.now()), 10), 10);
    scheduler.advance(25);
    expect(fired).toEqual([20]);
  });

  it('resolves sleeps on virtual time, and a loop of sleeps with advanceAsync', async () => {
    const scheduler = new VirtualScheduler();
    const woke: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await scheduler.sleep(100);
        woke.push(scheduler.now());
      }
    })();
    await scheduler.advanceAsync(250);
    expect(woke).toEqual([100, 200]);
    await scheduler.advanceAsync(50);
    await loop;
    expect(woke).toEqual([100, 200, 300]);
  });

  it('rejects a sleep with an AbortError when its signal aborts, before or during', async () => {
    const scheduler = new VirtualScheduler();
    const controller = new AbortController();
    const sleeping = scheduler.sleep(1_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toSatisfy(isAbortError);
    expect(scheduler.pending).toBe(0);
    await expect(scheduler.sleep(1, controller.signal)).rejects.toSatisfy(isAbortError);
  });
});

describe('systemScheduler', () => {
  it('sleeps on real timers and aborts them', async () => {
    const controller = new AbortController();
    const sleeping = systemScheduler.sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toSatisfy(isAbortError);
    let fired = false;
    const handle = systemScheduler.setTimeout(() => (fired = true), 0, { unref: true });
    systemScheduler.clearTimeout(handle);
    await systemScheduler.sleep(5);
    expect(fired).toBe(false);
  });
});
