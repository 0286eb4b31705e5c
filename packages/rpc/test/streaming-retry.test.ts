import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { ClientError, ServerError, Status } from 'nice-grpc-common';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, connection, disconnect, serve, service } from '../src/index.js';

// Streaming calls through connect(): balanced per attempt, failed over and retried while no
// response message has arrived, and never once one has.

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

type CountMode = 'works' | 'fails-before-first' | 'fails-after-first';

async function replica(name: string, mode: CountMode) {
  const counters = { echo: 0, write: 0, count: 0 };
  /** The request messages of each Chat call this replica read. */
  const chats: string[][] = [];
  const base = createEchoService(name, defaultBehaviour(), counters);
  const implementation: EchoServiceImplementation = {
    ...base,
    async *chat(requests) {
      const seen: string[] = [];
      chats.push(seen);
      if (mode === 'works') {
        for await (const request of requests) seen.push(request.message);
        for (const message of seen) yield { message, replica: name };
        return;
      }
      for await (const request of requests) seen.push(request.message);
      if (mode === 'fails-after-first') yield { message: seen[0] ?? '', replica: name };
      throw new ServerError(Status.UNAVAILABLE, `${name}: unavailable`);
    },
    async *count(request, context) {
      if (mode === 'works') return yield* base.count(request, context);
      counters.count++;
      if (mode === 'fails-before-first') throw new ServerError(Status.UNAVAILABLE, `${name}: unavailable`);
      yield { n: 1, replica: name };
      throw new ServerError(Status.UNAVAILABLE, `${name}: failed mid-stream`);
    },
  };
  const handle = await serve({
    name: 'echo',
    instanceId: name,
    services: [service(EchoServiceDefinition, implementation)],
    handleSignals: false,
    metrics: false,
    drainTimeoutMs: 500,
  });
  cleanup.push(() => handle.close());
  return { handle, counters, chats };
}

function client(replicas: Awaited<ReturnType<typeof replica>>[]) {
  const c = connect(EchoServiceDefinition, {
    endpoints: replicas.map((r) => ({ id: r.handle.instanceId, address: r.handle.address })),
    balancer: 'round-robin',
    // Every call takes its turn on each replica: nothing takes the failing one out.
    outlierDetection: false,
    circuitBreaker: false,
    retry: { maxRetries: 2, budget: { ratio: 1, minPerSecond: 1000 } },
  });
  cleanup.push(() => disconnect(c));
  return c;
}

async function* requests(...messages: string[]) {
  for (const message of messages) yield { message };
}

async function collect(stream: AsyncIterable<{ n: number; replica: string }>) {
  const seen: string[] = [];
  try {
    for await (const message of stream) seen.push(`${message.replica}#${message.n}`);
    return { seen, error: undefined };
  } catch (error) {
    return { seen, error: error as ClientError };
  }
}

describe('streaming calls through connect()', () => {
  it('a server stream whose replica fails UNAVAILABLE before its first message completes on another', async () => {
    const failing = await replica('failing', 'fails-before-first');
    const working = await replica('working', 'works');
    const echo = client([failing, working]);
    for (let i = 0; i < 6; i++) {
      const { seen, error } = await collect(echo.count({ count: 3 }));
      expect(error).toBeUndefined();
      expect(seen).toEqual(['working#1', 'working#2', 'working#3']);
    }
    // Round-robin sent half the first attempts to the failing replica; each went on to the other.
    expect(failing.counters.count).toBeGreaterThanOrEqual(3);
    expect(working.counters.count).toBe(6);
    expect(connection(echo)!.retry!.budget!.stats().retries).toBe(failing.counters.count);
  });

  it('a server stream that fails after its first message is not retried: the caller sees the failure', async () => {
    const midway = await replica('midway', 'fails-after-first');
    const working = await replica('working', 'works');
    const echo = client([midway, working]);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await collect(echo.count({ count: 3 })));
    const broken = results.filter((r) => r.error !== undefined);
    expect(broken.length).toBe(midway.counters.count);
    expect(broken.length).toBeGreaterThanOrEqual(2);
    for (const { seen, error } of broken) {
      expect(seen).toEqual(['midway#1']);
      expect(error).toBeInstanceOf(ClientError);
      expect(error!.code).toBe(Status.UNAVAILABLE);
    }
    // No retry went to the working replica: it served only the calls that started there.
    expect(working.counters.count).toBe(4 - broken.length);
    expect(connection(echo)!.retry!.budget!.stats().retries).toBe(0);
  });

  it('a bidi call whose replica fails before its first response is replayed, every message, on another', async () => {
    const failing = await replica('failing', 'fails-before-first');
    const working = await replica('working', 'works');
    const echo = client([failing, working]);
    for (let i = 0; i < 4; i++) {
      const replies: string[] = [];
      for await (const reply of echo.chat(requests('a', 'b', 'c'))) replies.push(`${reply.replica}:${reply.message}`);
      expect(replies).toEqual(['working:a', 'working:b', 'working:c']);
    }
    // The failing replica read the whole request stream each time, and so did the retry.
    expect(failing.chats.length).toBeGreaterThanOrEqual(2);
    for (const seen of [...failing.chats, ...working.chats]) expect(seen).toEqual(['a', 'b', 'c']);
    expect(working.chats.length).toBe(4);
  });

  it('a bidi call that failed after its first response is not retried', async () => {
    const midway = await replica('midway', 'fails-after-first');
    const working = await replica('working', 'works');
    const echo = client([midway, working]);
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const replies: string[] = [];
      try {
        for await (const reply of echo.chat(requests('a', 'b'))) replies.push(reply.replica);
        outcomes.push(`ok ${replies.join(',')}`);
      } catch (error) {
        outcomes.push(`${(error as ClientError).code} after ${replies.join(',')}`);
      }
    }
    const failed = outcomes.filter((o) => o.startsWith(`${Status.UNAVAILABLE} `));
    expect(failed.length).toBe(midway.chats.length);
    expect(failed.every((o) => o === `${Status.UNAVAILABLE} after midway`)).toBe(true);
    expect(working.chats.length).toBe(4 - failed.length);
  });

  it('a server stream that may not be retried (retry: false) fails over nowhere', async () => {
    const failing = await replica('failing', 'fails-before-first');
    const working = await replica('working', 'works');
    const echo = client([failing, working]);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await collect(echo.count({ count: 1 }, { retry: false })));
    expect(results.filter((r) => r.error?.code === Status.UNAVAILABLE).length).toBe(failing.counters.count);
    expect(failing.counters.count).toBeGreaterThanOrEqual(2);
  });
});
