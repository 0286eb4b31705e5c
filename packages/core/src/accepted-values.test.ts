import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { acceptedKeys, acceptedValues } from './accepted-values.js';

const isPrime = (n: number): boolean =>
  n > 1 && [...Array(Math.floor(Math.sqrt(n)) + 1).keys()].slice(2).every((d) => n % d !== 0);

const schema = z.strictObject({
  tableSize: z.number().int().min(7).max(100).refine(isPrime).describe('prime').default(13),
  slowFactor: z.union([z.literal(0), z.number().gt(1)]).default(2),
  jitter: z.enum(['full', 'none']).default('full'),
  codes: z.array(z.number().int().min(0).max(16)).optional(),
  hashKey: z.strictObject({ header: z.string().trim().min(1) }).optional(),
  clock: z
    .custom<{ now(): number }>(() => true)
    .describe('a Clock { now(): number }')
    .optional(),
  enabled: z.boolean().optional(),
  random: z
    .custom<() => number>((v) => typeof v === 'function')
    .describe('a function returning [0, 1)')
    .default(() => Math.random),
});

describe('acceptedValues', () => {
  it.each([
    [['tableSize'], 'an integer in 7..100, prime (default 13)'],
    [['slowFactor'], '0 or a number > 1 (default 2)'],
    [['jitter'], 'one of "full", "none" (default "full")'],
    [['codes'], 'an array of an integer in 0..16'],
    [['codes', '0'], 'an integer in 0..16'],
    [['hashKey'], '{ header }'],
    [['hashKey', 'header'], 'a non-empty string'],
    [['clock'], 'a Clock { now(): number }'],
    [['enabled'], 'true or false'],
    [['random'], 'a function returning [0, 1)'],
    [['tableSize', 'deeper'], 'an integer in 7..100, prime (default 13)'],
  ])('%o: %s', (path, words) => {
    expect(acceptedValues(schema, path)).toBe(words);
  });

  it('says the keys of an object whose JSON form fails (a function default)', () => {
    expect(acceptedValues(z.strictObject({ nested: schema }), ['nested'])).toContain('{ tableSize, slowFactor');
  });

  it('lists the keys of the branch a discriminated union was given', () => {
    const policy = z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('a'), x: z.number() }),
      z.strictObject({ type: z.literal('b'), y: z.number() }),
    ]);
    expect(acceptedKeys(policy, [], { type: 'b' })).toEqual(['type', 'y']);
    expect(acceptedKeys(policy, [], {})).toEqual(['type', 'x', 'y']);
  });

  it('lists the keys of an object, in the order of the schema', () => {
    expect(acceptedKeys(schema, [])).toEqual([
      'tableSize',
      'slowFactor',
      'jitter',
      'codes',
      'hashKey',
      'clock',
      'enabled',
      'random',
    ]);
    expect(acceptedKeys(schema, ['hashKey'])).toEqual(['header']);
    expect(acceptedKeys(schema, ['tableSize'])).toEqual([]);
  });
});
