import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './invalid-option-error.js';
import { parseOptions } from './parse-options.js';

const schema = z.strictObject({
  ratio: z.number().min(0).max(10).default(0.1),
  backoff: z.strictObject({ baseMs: z.number().int().min(0).default(10) }).default({ baseMs: 10 }),
});

function thrown(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('parseOptions', () => {
  it('fills defaults and freezes the result; undefined counts as {}', () => {
    const parsed = parseOptions(schema, undefined, 'budget');
    expect(parsed).toEqual({ ratio: 0.1, backoff: { baseMs: 10 } });
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it('names the offending field under `where`, the value given and what the schema accepts', () => {
    const error = thrown(() => parseOptions(schema, { backoff: { baseMs: -1 } }, 'retry'));
    expect(error).toMatchObject({ option: 'retry.backoff.baseMs', allowed: 'an integer >= 0 (default 10)' });
    expect(error.message).toMatch(
      /^option "retry\.backoff\.baseMs" is -1 \(.*\): allowed values are an integer >= 0 \(default 10\)$/,
    );
  });

  it('refuses an unknown key, naming it and listing the accepted keys from the schema', () => {
    const top = thrown(() => parseOptions(schema, { ratoi: 1 }, 'budget'));
    expect(top.option).toBe('budget.ratoi');
    expect(top.message).toContain('unknown key "ratoi"');
    expect(top.allowed).toBe('the keys ratio, backoff');
    const nested = thrown(() => parseOptions(schema, { backoff: { base: 1 } }, 'budget'));
    expect(nested.option).toBe('budget.backoff.base');
    expect(nested.allowed).toBe('the keys baseMs');
  });

  it('names the field inside the branch of a `false | {…}` union that the value chose', () => {
    const toggled = z.strictObject({
      reports: z.union([z.literal(false), z.strictObject({ intervalMs: z.number().int().min(10).default(1_000) })]),
    });
    const error = thrown(() => parseOptions(toggled, { reports: { intervalMs: 5 } }, 'serve'));
    expect(error.option).toBe('serve.reports.intervalMs');
    expect(error.allowed).toBe('an integer >= 10 (default 1000)');
    expect(thrown(() => parseOptions(toggled, { reports: { interval: 5 } }, 'serve')).option).toBe(
      'serve.reports.interval',
    );
    expect(thrown(() => parseOptions(toggled, { reports: 'yes' }, 'serve')).option).toBe('serve.reports');
  });

  it("builds a package's own error from the same finding", () => {
    class InvalidThingError extends InvalidOptionError {}
    const error = thrown(() =>
      parseOptions(schema, { ratio: 11 }, 'thing', { error: (o, p, a) => new InvalidThingError(o, p, { allowed: a }) }),
    );
    expect(error).toBeInstanceOf(InvalidThingError);
    expect(error.message).toBe(
      'option "thing.ratio" is 11 (Too big: expected number to be <=10): allowed values are a number in 0..10 (default 0.1)',
    );
  });
});
