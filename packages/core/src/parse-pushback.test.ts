import { describe, expect, it } from 'vitest';
import { parsePushback } from './parse-pushback.js';

describe('parsePushback', () => {
  it('reads milliseconds, negative meaning "do not retry", and ignores garbage', () => {
    expect(parsePushback('250')).toBe(250);
    expect(parsePushback('-1')).toBe(-1);
    expect(parsePushback(undefined)).toBeUndefined();
    expect(parsePushback('')).toBeUndefined();
    expect(parsePushback('soon')).toBeUndefined();
    expect(parsePushback('Infinity')).toBeUndefined();
  });
});
