import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** How late this process's event loop runs its callbacks, recently; tests pass a fixed one. */
export interface LoopLag {
  /** Mean event-loop delay over the last measured window, ms (0 on an idle loop). */
  lagMs(): number;
  /** Stops measuring. */
  close(): void;
}

/** The histogram's sampling timer, ms: each sample is its interval plus the delay, so it is taken off. */
const RESOLUTION_MS = 10;

/**
 * The process's event-loop delay from `perf_hooks.monitorEventLoopDelay`, as the mean over
 * windows of `windowMs`: the mean says the loop is behind all the time (a saturated CPU), where a
 * single long pause (a GC) only moves the tail.
 */
export function monitorLoopLag(windowMs = 1_000): LoopLag {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let windowStart = performance.now();
  let last = 0;
  return {
    lagMs() {
      const now = performance.now();
      if (now - windowStart >= windowMs) {
        if (histogram.count > 0) last = Math.max(0, histogram.mean / 1e6 - RESOLUTION_MS);
        histogram.reset();
        windowStart = now;
      }
      return last;
    },
    close: () => histogram.disable(),
  };
}
