import { composeClientMiddleware, type ClientMiddleware, type ClientMiddlewareCall } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { chainMiddleware, composeMiddleware } from './compose.js';

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
