import { composeClientMiddleware, type ClientMiddleware, type ClientMiddlewareCall } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { chainMiddleware } from './chain-middleware.js';
import { composeMiddleware } from './compose-middleware.js';

const method = { path: '/test.Service/Method', requestStream: false, responseStream: false, options: {} } as const;

/** A middleware that records what it saw and tags the request and options on the way down. */
function tagging(name: string, log: string[]): ClientMiddleware<{ tags?: string[] }> {
  return async function* (call, options) {
    log.push(`${name} ${call.method.path} ${JSON.stringify(call.request)} ${(options.tags ?? []).join('>')}`);
    const tags = [...(options.tags ?? []), name];
    const response = yield* call.next(`${String(call.request)}+${name}` as never, { ...options, tags } as never);
    return `${String(response)}<${name}`;
  } as ClientMiddleware<{ tags?: string[] }>;
}

async function callThrough(middleware: ClientMiddleware<{ tags?: string[] }>, log: string[]) {
  const call = {
    method,
    requestStream: false,
    request: 'req',
    responseStream: false,
    next(request: unknown, options: { tags?: string[] }) {
      log.push(`leaf ${JSON.stringify(request)} ${(options.tags ?? []).join('>')}`);
      return (async function* leaf() {
        yield* [];
        return 'res';
      })();
    },
  } as unknown as ClientMiddlewareCall<unknown, unknown>;
  const result = await middleware(call, {})[Symbol.asyncIterator]().next();
  return result.value;
}

describe('composeMiddleware', () => {
  it('runs and passes requests, options and responses exactly as composeClientMiddleware does', async () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    const a = await callThrough(composeMiddleware(tagging('inner', ours), tagging('outer', ours)), ours);
    const b = await callThrough(composeClientMiddleware(tagging('inner', theirs), tagging('outer', theirs)), theirs);
    expect(a).toBe('res<inner<outer');
    expect(a).toBe(b);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual([
      'outer /test.Service/Method "req" ',
      'inner /test.Service/Method "req+outer" outer',
      'leaf "req+outer+inner" outer>inner',
    ]);
  });

  it('chainMiddleware takes the layers outermost first, and none passes calls straight through', async () => {
    const log: string[] = [];
    expect(await callThrough(chainMiddleware([tagging('a', log), tagging('b', log), tagging('c', log)]), log)).toBe(
      'res<c<b<a',
    );
    expect(log.at(-1)).toBe('leaf "req+a+b+c" a>b>c');
    expect(await callThrough(chainMiddleware([]), [])).toBe('res');
  });
});

describe('chainMiddleware linking', () => {
  const other = { path: '/test.Service/Other', requestStream: false, responseStream: false, options: {} } as const;

  function leafFor(name: string, seen: string[]) {
    return (request: unknown) => {
      seen.push(`${name} ${String(request)}`);
      return (async function* leaf() {
        yield* [];
        return `${name}:${String(request)}`;
      })();
    };
  }

  it('keeps each method on its own path when one chain serves several methods', async () => {
    const log: string[] = [];
    const seen: string[] = [];
    const chain = chainMiddleware([tagging('a', log), tagging('b', log)]);
    const echo = leafFor('echo', seen);
    const write = leafFor('write', seen);
    const callOf = (m: typeof method | typeof other, next: typeof echo, request: string) =>
      ({ method: m, requestStream: false, request, responseStream: false, next }) as unknown as ClientMiddlewareCall<
        unknown,
        unknown
      >;
    const results: unknown[] = [];
    for (const [m, next, request] of [
      [method, echo, '1'],
      [other, write, '2'],
      [method, echo, '3'],
      // The same `next` under another method descriptor is linked afresh, not served from the first link.
      [other, echo, '4'],
    ] as const) {
      const iterator = chain(callOf(m, next, request), {})[Symbol.asyncIterator]();
      results.push((await iterator.next()).value);
    }
    expect(results).toEqual(['echo:1+a+b<b<a', 'write:2+a+b<b<a', 'echo:3+a+b<b<a', 'echo:4+a+b<b<a']);
    expect(seen).toEqual(['echo 1+a+b', 'write 2+a+b', 'echo 3+a+b', 'echo 4+a+b']);
    expect(log.filter((line) => line.startsWith('a ')).map((line) => line.split(' ')[1])).toEqual([
      method.path,
      other.path,
      method.path,
      other.path,
    ]);
  });

  it('passes the inner generator through a layer that returns it instead of wrapping it', async () => {
    const log: string[] = [];
    const direct: ClientMiddleware<{ tags?: string[] }> = ((call, options) =>
      call.next(`${String(call.request)}+direct` as never, options)) as ClientMiddleware<{ tags?: string[] }>;
    expect(await callThrough(chainMiddleware([tagging('a', log), direct, tagging('c', log)]), log)).toBe('res<c<a');
    expect(log.at(-1)).toBe('leaf "req+a+direct+c" a>c');
  });
});
