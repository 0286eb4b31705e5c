import { z } from 'zod';
import type { Clock } from './clock.js';
import type { Scheduler } from './scheduler.js';

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}

/**
 * The `scheduler` option of a shell's strict schema: what it accepts is checked by shape, so a
 * test's VirtualScheduler and any object with the four methods pass, and a bare Clock is refused
 * with a message saying what is missing.
 */
export const schedulerSchema = z
  .custom<Scheduler>(
    (value) => hasMethods(value, ['now', 'setTimeout', 'clearTimeout', 'sleep']),
    'expected a Scheduler { now, setTimeout, clearTimeout, sleep }',
  )
  .describe('a Scheduler from @ballast/core (systemScheduler, VirtualScheduler)');

/** The `clock` option (time alone, with real timers) of a shell's strict schema. */
export const clockSchema = z
  .custom<Clock>((value) => hasMethods(value, ['now']), 'expected a Clock { now(): number }')
  .describe('a Clock { now(): number }');
