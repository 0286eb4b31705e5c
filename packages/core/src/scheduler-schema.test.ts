import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from './clock.js';
import { parseOptions } from './parse-options.js';
import { systemScheduler, VirtualScheduler } from './scheduler.js';
import { clockSchema, schedulerSchema } from './scheduler-schema.js';

const schema = z.strictObject({ scheduler: schedulerSchema.optional(), clock: clockSchema.optional() });

describe('schedulerSchema and clockSchema', () => {
  it('accept the system and virtual schedulers and any clock, as the same objects', () => {
    const scheduler = new VirtualScheduler();
    const clock = new ManualClock();
    expect(parseOptions(schema, { scheduler, clock }, 'pump').scheduler).toBe(scheduler);
    expect(parseOptions(schema, { scheduler: systemScheduler }, 'pump').scheduler).toBe(systemScheduler);
  });

  it('refuse a clock given as a scheduler, and a non-clock, saying what is expected', () => {
    expect(() => parseOptions(schema, { scheduler: new ManualClock() }, 'pump')).toThrow(
      /"pump\.scheduler" is .*expected a Scheduler \{ now, setTimeout, clearTimeout, sleep \}/,
    );
    expect(() => parseOptions(schema, { clock: 5 }, 'pump')).toThrow(/"pump\.clock" is 5 .*expected a Clock/);
  });
});
