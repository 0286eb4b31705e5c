import type { Disposer } from './disposer.js';
import type { Scheduler } from './scheduler.js';

/**
 * Runs `callback` every `ms` on `scheduler`'s timers until the returned disposer is called: the
 * Scheduler's one-shot timers re-armed, so periodic shells (health sweeps, reloads, samplers) run
 * on a VirtualScheduler in tests like everything else. The next run is armed before the callback
 * runs, so a callback that throws does not end the repetition.
 */
export function repeat(
  scheduler: Scheduler,
  ms: number,
  callback: () => void,
  options?: { readonly unref?: boolean },
): Disposer {
  if (!(Number.isFinite(ms) && ms > 0)) {
    throw new RangeError(`repeat() needs a period of ms > 0, got ${ms}: pass the interval in milliseconds`);
  }
  let stopped = false;
  let timer = arm();
  function arm() {
    return scheduler.setTimeout(
      () => {
        if (stopped) return;
        timer = arm();
        callback();
      },
      ms,
      options,
    );
  }
  return () => {
    stopped = true;
    scheduler.clearTimeout(timer);
  };
}
