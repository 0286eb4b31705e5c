import { MetadataKeys } from '@ballast/core';
import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { delay } from '@ballast/testing';
import { createChannel, createClientFactory, createServer, type Server } from 'nice-grpc';
import { ClientError, Status } from 'nice-grpc-common';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLoadShedder, createRetry, InvalidRecoveryOptionError } from '../src/index.js';
import { runConcurrently } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server with `workers` slots of `workMs` each: calls beyond them queue, as on a saturated host. */
async function saturableServer(workers: number, workMs: number, middleware?: ReturnType<typeof createLoadShedder>) {
  let busy = 0;
  let maxQueued = 0;
  const queue: (() => void)[] = [];
  const unused = async () => {
    throw new Error('not used');
  };
  const echo: EchoServiceImplementation['echo'] = async (request) => {
    if (busy >= workers) {
      await new Promise<void>((resolve) => queue.push(resolve));
      maxQueued = Math.max(maxQueued, queue.length + 1);
    }
    busy++;
    try {
      await delay(workMs);
      return { message: request.message, replica: 's', payload: Buffer.alloc(0) };
    } finally {
      busy--;
      queue.shift()?.();
    }
  };
  const base = createServer();
  const server: Server = middleware ? base.use(middleware.middleware) : base;
  server.add(EchoServiceDefinition, { echo, write: unused, count: unused as never, chat: unused as never });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, maxQueued: () => maxQueued };
}

describe('load shedding (real server)', () => {
  it('an overloaded server sheds with RESOURCE_EXHAUSTED and a pushback hint instead of queueing', async () => {
    const shedder = createLoadShedder({ limiter: { initialLimit: 50, maxLimit: 200 }, pushbackMs: 100 });
    const server = await saturableServer(2, 10, shedder);
    const channel = createChannel(server.address);
    cleanups.push(() => channel.close());
    const client = createClientFactory().create(EchoServiceDefinition, channel);

    const codes = new Map<number, number>();
    const pushbacks = new Set<string | undefined>();
    await runConcurrently(1_500, 40, async () => {
      let pushback: string | undefined;
      await client.echo({ message: 'x' }, { onTrailer: (t) => (pushback = t.get(MetadataKeys.retryPushbackMs)) }).then(
        () => codes.set(Status.OK, (codes.get(Status.OK) ?? 0) + 1),
        (error: ClientError) => {
          codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
          if (error.code === Status.RESOURCE_EXHAUSTED) pushbacks.add(pushback);
        },
      );
    });
    const stats = shedder.stats();
    // It learned a limit well under the offered concurrency…
    expect(stats.limit).toBeLessThan(20);
    // …and turned the excess away at once, with a hint; nothing else failed.
    expect(codes.get(Status.RESOURCE_EXHAUSTED)).toBeGreaterThan(0);
    expect([...codes.keys()].sort()).toEqual([Status.OK, Status.RESOURCE_EXHAUSTED]);
    expect(pushbacks).toEqual(new Set(['100']));
    expect(stats.rejected).toBe(codes.get(Status.RESOURCE_EXHAUSTED));
    expect(stats.inFlight).toBe(0);
  });

  it('a shed call waits out the pushback and its retry succeeds', async () => {
    const registry = new Registry();
    const shedder = createLoadShedder({
      limiter: { initialLimit: 1, minLimit: 1, maxLimit: 1 },
      pushbackMs: 150,
      registry,
      name: 'echo',
    });
    const server = await saturableServer(1, 100, shedder);
    const channel = createChannel(server.address);
    cleanups.push(() => channel.close());
    const retry = createRetry({ backoff: { baseMs: 1 }, maxRetries: 1, budget: false });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channel);
    const results = await Promise.all([client.echo({ message: 'one' }), client.echo({ message: 'two' })]);
    expect(results.map((r) => r.message).sort()).toEqual(['one', 'two']);
    expect(shedder.stats()).toMatchObject({ rejected: 1, accepted: 2, limit: 1 });
    expect(await registry.getSingleMetricAsString('ballast_shed_total')).toMatch(
      /ballast_shed_total\{server="echo"\} 1/,
    );
  });

  it('validates its options', () => {
    expect(() => createLoadShedder({ pushbackMs: -1 })).toThrow(InvalidRecoveryOptionError);
    expect(() => createLoadShedder({ limiter: { minLimit: 5, maxLimit: 2 } })).toThrow(/limiter\.minLimit/);
  });
});
