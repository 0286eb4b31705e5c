import { ManualClock } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { RunningClock } from './running-clock.js';

describe('RunningClock', () => {
  it('follows the wall clock while it is read at least every step', () => {
    const real = new ManualClock(1_000);
    const running = new RunningClock(real, 200);
    for (let i = 0; i < 100; i++) {
      real.advance(50 + (i % 4) * 40); // a busy loop: 50–170 ms between reads
      running.now();
    }
    expect(running.now()).toBe(real.now());
    expect(running.lostMs).toBe(0);
  });

  it('counts a stall of the loop only up to one step', () => {
    const real = new ManualClock(0);
    const running = new RunningClock(real, 200);
    real.advance(50);
    expect(running.now()).toBe(50);
    real.advance(600); // the process stood still for 600 ms
    expect(running.now()).toBe(250);
    expect(running.lostMs).toBe(400);
    real.advance(50);
    expect(running.now()).toBe(300);
  });

  it('never runs backwards when the wall clock does', () => {
    const real = new ManualClock(500);
    const running = new RunningClock(real, 200);
    real.set(400);
    expect(running.now()).toBe(500);
  });

  it('rejects a step that is not positive, naming it', () => {
    expect(() => new RunningClock(new ManualClock(0), 0)).toThrow(/maxStepMs must be > 0/);
  });
});
