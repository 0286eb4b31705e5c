// npx tsx --conditions=@ballast/source packages/core/examples/conventions.ts
import {
  BallastError,
  Emitter,
  parseOptions,
  partLogger,
  repeat,
  schedulerSchema,
  VirtualScheduler,
} from '@ballast/core';
import { z } from 'zod';

/** A package's base error: every error it throws extends it, with a stable code. */
class PumpError extends BallastError {}

// Strict: the schema is the one list of keys, ranges and defaults; an unknown key is refused.
const pumpOptions = z.strictObject({
  intervalMs: z.number().int().positive().default(1_000),
  scheduler: schedulerSchema.optional(),
});

/** A small shell: options parsed once, timers from an injected Scheduler, events as an Emitter. */
function createPump(input: z.input<typeof pumpOptions> = {}) {
  const options = parseOptions(pumpOptions, input, 'pump');
  const scheduler = options.scheduler ?? new VirtualScheduler();
  const logger = partLogger('example', 'pump');
  const ticks = new Emitter<number>('pump tick', logger);
  let count = 0;
  const stopPumping = repeat(scheduler, options.intervalMs, () => ticks.emit(++count));
  return {
    onTick: (listener: (count: number) => void) => ticks.on(listener),
    close: stopPumping,
    stopAt(limit: number) {
      if (count > limit) throw new PumpError('PUMP_OVERRUN', `pumped ${count} times, over ${limit}: stop it sooner`);
    },
  };
}

const scheduler = new VirtualScheduler();
const pump = createPump({ intervalMs: 100, scheduler });
const stop = pump.onTick((n) => console.log(`tick ${n} at ${scheduler.now()} ms`));
const broken = pump.onTick(() => {
  throw new Error('a throwing listener is logged; the others still hear every tick');
});
scheduler.advance(250); // tick 1 at 100 ms, tick 2 at 200 ms: no waiting on the wall clock
stop();
broken();

try {
  createPump({ intervalMs: -5 });
} catch (error) {
  // option "pump.intervalMs" is -5 (Too small: expected number to be >0): allowed values are an integer > 0 (default 1000)
  console.log((error as Error).message);
}
try {
  createPump({ interval: 5 } as never);
} catch (error) {
  // option "pump.interval" is not an option (unknown key "interval"): allowed values are the keys intervalMs, scheduler
  console.log((error as Error).message);
}
try {
  scheduler.advance(1_000);
  pump.stopAt(5);
} catch (error) {
  if (error instanceof BallastError) console.log(error.code, error.message);
}
