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
  ])('%o: %s', (path, words) => {
    expect(acceptedValues(schema, path)).toBe(words);
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
    ]);
    expect(acceptedKeys(schema, ['hashKey'])).toEqual(['header']);
    expect(acceptedKeys(schema, ['tableSize'])).toEqual([]);
  });
});
