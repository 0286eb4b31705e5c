import { describe, expect, it } from 'vitest';
import { extendOptions } from './extend-options.js';
import { observeEnd, type CallEnd } from './observe-end.js';

async function* unary(result: string | Error) {
  yield* [];
  if (result instanceof Error) throw result;
  return result;
}

async function* stream(n: number) {
  for (let i = 0; i < n; i++) yield i;
  return 'end';
}

describe('observeEnd', () => {
  it('passes a unary result through and reports completion once', async () => {
    const ends: CallEnd[] = [];
    const observed = observeEnd(unary('ok'), (end) => ends.push(end));
    expect(await observed[Symbol.asyncIterator]().next()).toEqual({ done: true, value: 'ok' });
    expect(await observed.next()).toEqual({ done: true, value: undefined });
    expect(ends).toEqual([{ type: 'completed' }]);
  });

  it('rethrows the failure and reports it with the error', async () => {
    const ends: CallEnd[] = [];
    const error = new Error('boom');
    await expect(observeEnd(unary(error), (end) => ends.push(end)).next()).rejects.toBe(error);
    expect(ends).toEqual([{ type: 'failed', error }]);
  });

  it('relays every streamed value and reports completion at the end', async () => {
    const ends: CallEnd[] = [];
    const values: number[] = [];
    const observed = observeEnd(stream(3), (end) => ends.push(end));
    for await (const value of observed) {
      expect(ends).toEqual([]);
      values.push(value);
    }
    expect(values).toEqual([0, 1, 2]);
    expect(ends).toEqual([{ type: 'completed' }]);
  });

  it('reports a consumer that stops reading early as stopped, and ends the inner generator', async () => {
    const ends: CallEnd[] = [];
    let finished = false;
    async function* inner() {
      try {
        yield 1;
        yield 2;
      } finally {
        finished = true;
      }
    }
    for await (const value of observeEnd(inner(), (end) => ends.push(end))) {
      expect(value).toBe(1);
      break;
    }
    expect(finished).toBe(true);
    expect(ends).toEqual([{ type: 'stopped' }]);
  });
});

describe('extendOptions', () => {
  it('copies the base, sets the extras over it, and leaves the base alone', () => {
    const base = { deadline: 5, metadata: 'a' };
    const extended = extendOptions(base, { metadata: 'b', retry: true });
    expect(extended).toEqual({ deadline: 5, metadata: 'b', retry: true });
    expect(base).toEqual({ deadline: 5, metadata: 'a' });
  });
});
