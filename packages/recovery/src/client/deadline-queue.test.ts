import { seededRandom, VirtualScheduler } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

describe('DeadlineQueue', () => {
  it('fires each deadline at its own time, in time order, on one scheduler timer', () => {
    const scheduler = new VirtualScheduler();
    const queue = new DeadlineQueue(scheduler);
    const random = seededRandom(3);
    const fired: { at: number; due: number }[] = [];
    for (let i = 0; i < 500; i++) {
      const delay = Math.floor(random() * 100);
      const due = scheduler.now() + delay;
      queue.add(delay, () => fired.push({ at: scheduler.now(), due }));
      expect(scheduler.pending).toBe(1);
      scheduler.advance(random() < 0.5 ? 0 : 1);
    }
    scheduler.advance(200);
    expect(fired).toHaveLength(500);
    for (const f of fired) expect(f.at).toBe(f.due);
    expect(fired.map((f) => f.due)).toEqual(fired.map((f) => f.due).sort((a, b) => a - b));
    expect(scheduler.pending).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it('never fires a cancelled deadline, and holds no timer once none waits', () => {
    const scheduler = new VirtualScheduler();
    const queue = new DeadlineQueue(scheduler);
    const fired: number[] = [];
    const deadlines = [30, 10, 20, 10].map((delay, i) => queue.add(delay, () => fired.push(i)));
    queue.cancel(deadlines[1]!);
    queue.cancel(deadlines[1]!);
    expect(queue.waiting).toBe(3);
    scheduler.advance(15);
    // Ties keep the order they were added in; the cancelled one is skipped.
    expect(fired).toEqual([3]);
    queue.cancel(deadlines[0]!);
    queue.cancel(deadlines[2]!);
    expect(queue.waiting).toBe(0);
    expect(scheduler.pending).toBe(0);
    scheduler.advance(100);
    expect(fired).toEqual([3]);
    // A deadline added from a firing one is kept and fired in its turn.
    queue.add(5, () => queue.add(5, () => fired.push(99)));
    scheduler.advance(10);
    expect(fired).toEqual([3, 99]);
    expect(scheduler.pending).toBe(0);
  });

  it('re-arms for an earlier deadline added after a later one', () => {
    const scheduler = new VirtualScheduler();
    const queue = new DeadlineQueue(scheduler);
    const fired: string[] = [];
    queue.add(50, () => fired.push('late'));
    queue.add(5, () => fired.push('early'));
    expect(scheduler.pending).toBe(1);
    scheduler.advance(5);
    expect(fired).toEqual(['early']);
    scheduler.advance(45);
    expect(fired).toEqual(['early', 'late']);
  });
});
