import { AbortError } from 'abort-controller-x';
import type { Clock } from './clock.js';

/** An opaque handle to a timer of a Scheduler. */
export interface TimerHandle {
  readonly [timerBrand]: true;
}
declare const timerBrand: unique symbol;

/**
 * Time and timers, injected the way `Clock` is: shells that wait (breakers, lease keepers,
 * deadline propagation) take a Scheduler with the system one as default, and their tests drive a
 * VirtualScheduler instead of waiting on the wall clock.
 */
export interface Scheduler extends Clock {
  /** Runs `callback` once after `ms`. `unref`: the timer alone does not keep the process alive. */
  setTimeout(callback: () => void, ms: number, options?: { readonly unref?: boolean }): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`; rejects with an AbortError (abort-controller-x's) once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Waits on `scheduler`'s timers; shared by both implementations so they reject alike. */
function sleepOn(scheduler: Scheduler, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    const onAbort = () => {
      scheduler.clearTimeout(timer);
      reject(new AbortError());
    };
    const timer = scheduler.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Real time: performance.now() and Node's timers. */
export const systemScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout(callback, ms, options) {
    const timer = setTimeout(callback, Math.max(0, ms));
    if (options?.unref) timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
  sleep(ms, signal) {
    return sleepOn(systemScheduler, ms, signal);
  },
};

/**
 * Real timers that read `clock`, for callers that inject only a clock (the system scheduler when
 * there is none).
 */
export function realTimersOn(clock: Clock | undefined): Scheduler {
  return clock ? { ...systemScheduler, now: () => clock.now() } : systemScheduler;
}

interface VirtualTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * Time that moves only when a test says so. `advance(ms)` fires every timer due by then, in time
 * order, each at its own instant; `advanceAsync(ms)` also lets the promise continuations of each
 * fired timer run (a `sleep` resolving, a loop scheduling its next timer) before the next one.
 */
export class VirtualScheduler implements Scheduler {
  #now: number;
  #nextId = 1;
  #timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
    // Stable order: timers due at the same instant fire in the order they were set.
    const index = this.#timers.findIndex((t) => t.at > timer.at);
    this.#timers.splice(index === -1 ? this.#timers.length : index, 0, timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.#timers = this.#timers.filter((t) => t.id !== (handle as unknown as number));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing the timers due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let timer = this.#due(end); timer; timer = this.#due(end)) timer.callback();
    this.#now = end;
  }

  /** advance(), with the promise continuations of every fired timer run before the next fires. */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (let timer = this.#due(end); timer; timer = this.#due(end)) {
      timer.callback();
      await settle();
    }
    this.#now = end;
  }

  #due(end: number): VirtualTimer | undefined {
    const first = this.#timers[0];
    if (!first || first.at > end) return undefined;
    this.#timers.shift();
    this.#now = first.at;
    return first;
  }
}

/** Lets queued promise continuations run (they may chain several hops). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
