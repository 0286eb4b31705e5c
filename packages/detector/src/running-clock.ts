import type { Clock } from '@ballast/core';

/**
 * Time that passes only while this process's event loop runs. A silence or a probe timeout
 * measured on the wall clock also counts the time this process itself was not running (a long
 * GC, a synchronous burst, a CPU-starved machine): an answer that came back on time waits in the
 * socket until the loop reads it, and the endpoint would be called unresponsive for the client's
 * own lateness. Here a step between two readings counts at most `maxStepMs`; the owner reads it
 * at least that often while the loop runs (the detector's tick), so a normal loop loses nothing
 * and a stalled one loses everything past `maxStepMs` of each stall.
 *
 * A frozen peer is still found: the client's own loop keeps running, so its silence counts in full.
 */
export class RunningClock implements Clock {
  readonly #real: Clock;
  readonly #maxStepMs: number;
  #lastReal: number;
  #running: number;
  #lostMs = 0;

  constructor(real: Clock, maxStepMs: number) {
    if (!(maxStepMs > 0)) throw new RangeError(`RunningClock: maxStepMs must be > 0 (got ${maxStepMs})`);
    this.#real = real;
    this.#maxStepMs = maxStepMs;
    this.#lastReal = real.now();
    this.#running = this.#lastReal;
  }

  now(): number {
    const real = this.#real.now();
    const step = real - this.#lastReal;
    if (step > 0) {
      const counted = Math.min(step, this.#maxStepMs);
      this.#running += counted;
      this.#lostMs += step - counted;
      this.#lastReal = real;
    }
    return this.#running;
  }

  /** Wall-clock time not counted so far: how long this process's loop stood still in all. */
  get lostMs(): number {
    this.now();
    return this.#lostMs;
  }
}
