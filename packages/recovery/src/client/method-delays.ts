import { LatencyWindow } from './latency-window.js';

/** Samples before the observed percentile replaces the initial delay. */
const MIN_SAMPLES = 20;
/** The percentile is a selection over the window (O(window)), so it is recomputed every this many samples, not per call. */
const REFRESH_EVERY = 16;

interface MethodWindow {
  readonly window: LatencyWindow;
  delayMs: number;
  sinceRefresh: number;
}

/**
 * The adaptive hedging delay of each method: a percentile of that method's own recent latencies,
 * so a fast read is not hedged after a slow write's p95 and the other way round.
 */
export class MethodDelays {
  readonly #methods = new Map<string, MethodWindow>();
  #last: number;

  constructor(
    private readonly percentile: number,
    private readonly initialDelayMs: number,
    private readonly minDelayMs: number,
    private readonly windowSize: number,
  ) {
    this.#last = initialDelayMs;
  }

  /** The delay before a backup of a call to `method` starting now. */
  delayFor(method: string): number {
    return this.#methods.get(method)?.delayMs ?? this.initialDelayMs;
  }

  /** The delay of the method that recorded last (for stats). */
  get lastDelayMs(): number {
    return this.#last;
  }

  record(method: string, latencyMs: number): void {
    let entry = this.#methods.get(method);
    if (entry === undefined) {
      entry = { window: new LatencyWindow(this.windowSize), delayMs: this.initialDelayMs, sinceRefresh: 0 };
      this.#methods.set(method, entry);
    }
    entry.window.add(latencyMs);
    const count = entry.window.count;
    if (++entry.sinceRefresh >= REFRESH_EVERY || count === MIN_SAMPLES) {
      entry.sinceRefresh = 0;
      const observed = count >= MIN_SAMPLES ? entry.window.percentile(this.percentile) : undefined;
      entry.delayMs = Math.max(this.minDelayMs, observed ?? this.initialDelayMs);
    }
    this.#last = entry.delayMs;
  }
}
