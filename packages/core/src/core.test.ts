import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  allOfHealth,
  optionProblem,
  seededRandom,
  StaticEndpointSource,
  validateEndpoints,
  type HealthView,
} from './index.js';

describe('endpoints', () => {
  it('rejects duplicate ids and bad addresses, naming the entry', () => {
    expect(() =>
      validateEndpoints([
        { id: 'a', address: '127.0.0.1:1' },
        { id: 'a', address: '127.0.0.1:2' },
      ]),
    ).toThrow(/duplicate endpoint id "a"/);
    expect(() => validateEndpoints([{ id: 'b', address: 'no-port' }])).toThrow(/"b" has address "no-port"/);
    expect(() => validateEndpoints([{ id: 'c', address: 'h:1', weight: -1 }])).toThrow(/weight -1/);
  });

  it('a static source publishes the current list at once and on change', () => {
    const source = new StaticEndpointSource(['127.0.0.1:1']);
    const seen: string[][] = [];
    const stop = source.subscribe((list) => seen.push(list.map((e) => e.id)));
    source.set(['127.0.0.1:1', '127.0.0.1:2']);
    stop();
    source.set([]);
    expect(seen).toEqual([['127.0.0.1:1'], ['127.0.0.1:1', '127.0.0.1:2']]);
  });
});

describe('seededRandom', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});

describe('allOfHealth', () => {
  it('lets through only what every view lets through, and forwards changes', () => {
    const endpoints = [
      { id: 'a', address: 'h:1' },
      { id: 'b', address: 'h:2' },
      { id: 'c', address: 'h:3' },
    ];
    const listeners: Array<() => void> = [];
    const without = (id: string): HealthView => ({
      eligible: (list) => list.filter((e) => e.id !== id),
      onChange: (listener) => {
        listeners.push(listener);
        return () => {};
      },
    });
    const view = allOfHealth([without('a'), without('c')]);
    expect(view.eligible(endpoints).map((e) => e.id)).toEqual(['b']);
    let changes = 0;
    view.onChange(() => changes++);
    listeners.forEach((l) => l());
    expect(changes).toBe(2);
  });
});

describe('optionProblem', () => {
  const schema = z.strictObject({
    policyOptions: z.strictObject({ decayMs: z.number().positive().default(10_000) }).optional(),
    name: z.string().min(1).optional(),
  });

  it('names the option path, the value received and what the schema accepts', () => {
    const problem = optionProblem(
      { policyOptions: { decayMs: -1 } },
      { path: ['policyOptions', 'decayMs'], message: 'too small' },
      'balancer',
      schema,
    );
    expect(problem).toEqual({
      field: 'balancer.policyOptions.decayMs',
      detail: 'is -1 (too small)',
      allowed: 'a number > 0 (default 10000)',
    });
    expect(optionProblem({}, { path: ['name'], message: 'required' }, '', schema).detail).toBe('is missing (required)');
  });

  it('names an unknown key and lists the keys its object takes', () => {
    const problem = optionProblem(
      { policyOptions: { decay: 1 } },
      { path: ['policyOptions'], message: 'Unrecognized key', code: 'unrecognized_keys', keys: ['decay'] },
      'balancer',
      schema,
    );
    expect(problem.field).toBe('balancer.policyOptions.decay');
    expect(problem.allowed).toBe('the keys decayMs');
  });
});
