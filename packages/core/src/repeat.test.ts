import { describe, expect, it } from 'vitest';
import { repeat } from './repeat.js';
import { VirtualScheduler } from './scheduler.js';

describe('repeat', () => {
  it('runs every period on the scheduler until disposed', () => {
    const scheduler = new VirtualScheduler();
    const at: number[] = [];
    const stop = repeat(scheduler, 100, () => at.push(scheduler.now()));
    scheduler.advance(350);
    expect(at).toEqual([100, 200, 300]);
    stop();
    scheduler.advance(1_000);
    expect(at).toEqual([100, 200, 300]);
    expect(scheduler.pending).toBe(0);
  });

  it('keeps running after a callback throws', () => {
    const scheduler = new VirtualScheduler();
    let runs = 0;
    repeat(scheduler, 10, () => {
      runs++;
      if (runs === 1) throw new Error('first run fails');
    });
    expect(() => scheduler.advance(10)).toThrow('first run fails');
    scheduler.advance(10);
    expect(runs).toBe(2);
  });

  it('rejects a period that is not a positive number, saying what to pass', () => {
    expect(() => repeat(new VirtualScheduler(), 0, () => {})).toThrow(/period of ms > 0, got 0/);
  });
});
