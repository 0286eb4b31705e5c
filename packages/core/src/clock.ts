/** Milliseconds on a monotonic clock. Algorithms take one so tests can drive time exactly. */
export interface Clock {
  now(): number;
}

/** A uniform number in [0, 1). */
export type Random = () => number;

export const systemClock: Clock = { now: () => performance.now() };

export const systemRandom: Random = Math.random;

/** A clock that moves only when told: for deterministic tests of time-based algorithms. */
export class ManualClock implements Clock {
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
  set(ms: number): void {
    this.time = ms;
  }
}

/** mulberry32: a small seeded generator, good enough for balancing and jitter, exact in tests. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
