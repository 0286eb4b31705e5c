import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './invalid-option-error.js';
import { parseOptions } from './parse-options.js';

const schema = z.object({
  ratio: z.number().min(0).max(10).default(0.1),
  backoff: z.object({ baseMs: z.number().int().min(0).default(10) }).default({ baseMs: 10 }),
});

describe('parseOptions', () => {
  it('fills defaults and freezes the result; undefined counts as {}', () => {
    const parsed = parseOptions(schema, undefined, 'budget');
    expect(parsed).toEqual({ ratio: 0.1, backoff: { baseMs: 10 } });
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it('names the offending field under `where`, the value given and what is allowed', () => {
    const error = (() => {
      try {
        parseOptions(schema, { backoff: { baseMs: -1 } }, 'retry', { allowed: { backoff: '{ baseMs ≥ 0 }' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'retry.backoff.baseMs', allowed: '{ baseMs ≥ 0 }' });
    expect((error as Error).message).toMatch(/^option "retry\.backoff\.baseMs" is -1 \(.*\): allowed values are/);
  });

  it("says the schema's complaint alone when no allowed map is given, and builds a package's error", () => {
    class InvalidThingError extends InvalidOptionError {}
    expect(() =>
      parseOptions(schema, { ratio: 11 }, 'thing', { error: (o, p, a) => new InvalidThingError(o, p, { allowed: a }) }),
    ).toThrow(InvalidThingError);
    expect(() => parseOptions(schema, { ratio: 11 }, 'thing')).toThrow(
      /^option "thing\.ratio" is 11 \(Too big: expected number to be <=10\)$/,
    );
  });
});
