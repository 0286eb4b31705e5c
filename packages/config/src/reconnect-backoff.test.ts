import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from './reconnect-backoff.js';

describe('ReconnectBackoff', () => {
  it('gives 100 ms, doubling, at most 2 s, and starts over after reset()', () => {
    const backoff = new ReconnectBackoff();
    expect(backoff.peek()).toBe(100);
    const delays = Array.from({ length: 7 }, () => backoff.next());
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
    expect(backoff.peek()).toBe(200);
  });
});
