import { MetadataKeys } from '@ballast/core';
import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { createChannel, createClientFactory, createServer } from 'nice-grpc';
import { ClientError, Status } from 'nice-grpc-common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidRecoveryOptionError } from '../errors.js';
import { concurrencyCapMiddleware } from './concurrency-cap.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import { createLoadShedder } from './load-shedder.js';
import { FixedLimit } from './fixed-limit.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server whose echo calls hold until released, and whose count stream stays open until cancelled. */
async function heldServer(middleware: ReturnType<typeof concurrencyCapMiddleware>) {
  const held: (() => void)[] = [];
  let openStreams = 0;
  const unused = async () => {
    throw new Error('not used');
  };
  const implementation: EchoServiceImplementation = {
    echo: async (request) => {
      if (request.message === 'hold') await new Promise<void>((resolve) => held.push(resolve));
      return { message: request.message, replica: 's', payload: Buffer.alloc(0) };
    },
    write: unused,
    chat: unused as never,
    count: async function* (_request, context) {
      openStreams++;
      try {
        yield { value: 0 } as never;
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      } finally {
        openStreams--;
      }
    },
  };
  const server = createServer().use(middleware);
  server.add(EchoServiceDefinition, implementation);
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.forceShutdown());
  const channel = createChannel(`127.0.0.1:${port}`);
  cleanups.push(() => channel.close());
  return {
    client: createClientFactory().create(EchoServiceDefinition, channel),
    held,
    openStreams: () => openStreams,
  };
}

describe('concurrencyCapMiddleware (the load shedder over a FixedLimit, real server)', () => {
  it('refuses unary calls past the cap at once with RESOURCE_EXHAUSTED, the knob named and a pushback trailer', async () => {
    const { client, held } = await heldServer(concurrencyCapMiddleware(2));
    const holding = [client.echo({ message: 'hold' }), client.echo({ message: 'hold' })];
    await vi.waitFor(() => expect(held).toHaveLength(2), { timeout: 5_000 });

    let pushback: string | undefined;
    const refused = await client
      .echo({ message: 'x' }, { onTrailer: (trailer) => (pushback = trailer.get(MetadataKeys.retryPushbackMs)) })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).code).toBe(Status.RESOURCE_EXHAUSTED);
    expect((refused as ClientError).details).toBe(
      'server at its limit of 2 concurrent unary calls (maxConcurrentCalls); retry later or elsewhere',
    );
    expect(pushback).toBe('50');

    for (const release of held.splice(0)) release();
    await Promise.all(holding);
    // The places are free again once the held calls end.
    expect((await client.echo({ message: 'after' })).message).toBe('after');
  });

  it('does not count streams: open streams past the cap leave unary calls their places', async () => {
    const { client, openStreams } = await heldServer(concurrencyCapMiddleware(1));
    const controller = new AbortController();
    const streams = Array.from({ length: 3 }, async () => {
      for await (const _ of client.count({}, { signal: controller.signal })) void _;
    });
    await vi.waitFor(() => expect(openStreams()).toBe(3), { timeout: 5_000 });
    expect((await client.echo({ message: 'unary' })).message).toBe('unary');
    controller.abort();
    await Promise.allSettled(streams);
  });
});

describe('FixedLimit', () => {
  it('never moves, whatever the shedder feeds it', () => {
    const limit: ConcurrencyLimit = new FixedLimit(3);
    expect(limit.onSample({ rttMs: 5_000, inFlight: 3, dropped: true })).toBe(3);
    expect(limit.onSample({ rttMs: 1, inFlight: 1, dropped: false })).toBe(3);
    expect(createLoadShedder({ limiter: limit }).stats().limit).toBe(3);
  });

  it('rejects a cap below one, naming the option', () => {
    expect(() => new FixedLimit(0, 'maxConcurrentCalls')).toThrow(InvalidRecoveryOptionError);
    expect(() => new FixedLimit(1.5, 'maxConcurrentCalls')).toThrow(/"maxConcurrentCalls" is 1.5.*integer ≥ 1/);
  });
});
