import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

/** How busy this process's event loop has been recently; tests pass fixed figures. */
export interface LoopLoad {
  /** Mean event-loop delay over the last measured window, ms (0 on an idle loop). */
  lagMs(): number;
  /** Share of the last measured window the loop spent running callbacks, in [0, 1]. */
  utilization(): number;
  /** Stops measuring. */
  close(): void;
}

/** The histogram's sampling timer, ms: each sample is its interval plus the delay, so it is taken off. */
const RESOLUTION_MS = 10;

/**
 * The process's event loop as `perf_hooks` measures it, over windows of `windowMs`: the mean
 * delay (`monitorEventLoopDelay`: the loop is behind all the time, where one long pause, a GC,
 * only moves the tail) and the utilization (`eventLoopUtilization`: near 1, no time is left for
 * any more work, a backup attempt's included).
 */
export function monitorLoopLoad(windowMs = 1_000): LoopLoad {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let windowStart = performance.now();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let lag = 0;
  let utilization = 0;
  const refresh = () => {
    const now = performance.now();
    if (now - windowStart < windowMs) return;
    if (histogram.count > 0) lag = Math.max(0, histogram.mean / 1e6 - RESOLUTION_MS);
    histogram.reset();
    const next = performance.eventLoopUtilization();
    utilization = performance.eventLoopUtilization(next, elu).utilization;
    elu = next;
    windowStart = now;
  };
  return {
    lagMs() {
      refresh();
      return lag;
    },
    utilization() {
      refresh();
      return utilization;
    },
    close: () => histogram.disable(),
  };
}
