import { MetadataKeys, VirtualScheduler } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { startEchoServer, type EchoServer } from '@ballast/testing';
import { createChannel, createClientFactory, createServer, type Channel, type Server } from 'nice-grpc';
import { ClientError, Status, type ServerMiddleware } from 'nice-grpc-common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createRetry,
  InvalidRecoveryOptionError,
  RetryBudget,
  RetryBudgetExhaustedError,
  RetryPushbackError,
} from '../src/index.js';
import { createEchoService } from '@ballast/testing';
import { runConcurrently } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(options: Parameters<typeof startEchoServer>[0]): Promise<EchoServer> {
  const server = await startEchoServer(options);
  cleanups.push(() => server.kill());
  return server;
}

function channelTo(address: string): Channel {
  const channel = createChannel(address);
  cleanups.push(() => channel.close());
  return channel;
}

/** Fails the first `n` calls, then succeeds: a deterministic "random" for the echo fixture. */
function failFirst(n: number): () => number {
  let calls = 0;
  return () => (calls++ < n ? 0 : 0.99);
}

const fast = { backoff: { baseMs: 1, maxMs: 5 } };

describe('createRetry (real server)', () => {
  it('retries an idempotent method until it succeeds', async () => {
    const server = await echoServer({ replica: 'a', behaviour: { failRate: 0.5 }, random: failFirst(2) });
    const retry = createRetry({ ...fast, maxRetries: 3 });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    const response = await client.echo({ message: 'hi' });
    expect(response.message).toBe('hi');
    expect(server.counters.echo).toBe(3);
    expect(retry.budget!.stats().retries).toBe(2);
  });

  it('does not retry a method without idempotency unless the call opts in', async () => {
    let failuresLeft = 1;
    const server = await echoServer({
      replica: 'a',
      behaviour: { failRate: 0.5 },
      random: () => (failuresLeft-- > 0 ? 0 : 0.99),
    });
    const retry = createRetry({ ...fast, maxRetries: 3 });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    await expect(client.write({ key: 'k', value: 'v' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(server.counters.write).toBe(1);
    // The same failure again: only the opt-in makes the middleware try a second time.
    failuresLeft = 1;
    await expect(client.write({ key: 'k', value: 'v' }, { retry: true })).resolves.toMatchObject({ replica: 'a' });
    expect(server.counters.write).toBe(3);
    expect(retry.budget!.stats().retries).toBe(1);
  });

  it('never retries INVALID_ARGUMENT, and refuses it as a retryable code', async () => {
    const server = await echoServer({ replica: 'a' });
    const retry = createRetry({ ...fast, maxRetries: 3, retryableCodes: [Status.UNAVAILABLE, Status.UNKNOWN] });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    await expect(client.echo({ message: 'x', failCode: Status.INVALID_ARGUMENT })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
    expect(server.counters.echo).toBe(1);
    expect(() => createRetry({ retryableCodes: [Status.INVALID_ARGUMENT] })).toThrow(InvalidRecoveryOptionError);
    expect(() => createRetry({ maxRetries: -1 })).toThrow(/retry\.maxRetries/);
  });

  it('returns the original error saying the budget is exhausted', async () => {
    const server = await echoServer({ replica: 'a', behaviour: { failRate: 1 } });
    const retry = createRetry({ ...fast, maxRetries: 3, budget: { ratio: 0, minPerSecond: 0 } });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    const error = await client.echo({ message: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryBudgetExhaustedError);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe(Status.UNAVAILABLE);
    expect((error as Error).message).toMatch(/retry budget is exhausted/);
    expect((error as Error).message).toMatch(/injected failure/);
    expect(server.counters.echo).toBe(1);
  });

  it('under a total outage sends at most 1.1× the first attempts over 1 000 calls', async () => {
    const server = await echoServer({ replica: 'a', behaviour: { failRate: 1 } });
    const budget = new RetryBudget(); // defaults: ratio 0.1, minPerSecond 1, window 10 s
    const retry = createRetry({ backoff: { baseMs: 0 }, maxRetries: 3, budget });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    let failed = 0;
    await runConcurrently(1_000, 32, async () => {
      await client.echo({ message: 'x' }).catch(() => failed++);
    });
    expect(failed).toBe(1_000);
    const amplification = server.counters.echo / 1_000;
    expect(amplification).toBeGreaterThan(1); // the budget let some retries through
    expect(amplification).toBeLessThanOrEqual(1.1);

    // Without a budget the same outage is multiplied by the retry count.
    const unbudgeted = await echoServer({ replica: 'b', behaviour: { failRate: 1 } });
    const plain = createRetry({ backoff: { baseMs: 0 }, maxRetries: 3, budget: false });
    const client2 = createClientFactory()
      .use(plain.middleware)
      .create(EchoServiceDefinition, channelTo(unbudgeted.address));
    await runConcurrently(200, 32, async () => {
      await client2.echo({ message: 'x' }).catch(() => {});
    });
    expect(unbudgeted.counters.echo).toBe(800);
  });
});

describe('createRetry on streams', () => {
  it('a server-streaming call draws on the budget like a unary one and streams unchanged', async () => {
    const server = await echoServer({ replica: 'a' });
    const retry = createRetry({ ...fast, maxRetries: 3 });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    const seen: number[] = [];
    for await (const item of client.count({ count: 3, intervalMs: 0 })) seen.push(item.n);
    expect(seen).toEqual([1, 2, 3]);
    expect(retry.budget!.stats().firstAttempts).toBe(1);
  });
});

describe('server pushback (grpc-retry-pushback-ms)', () => {
  async function pushbackServer(pushback: string): Promise<{ address: string; arrivals: number[] }> {
    const arrivals: number[] = [];
    const setPushback: ServerMiddleware = async function* (call, context) {
      arrivals.push(performance.now());
      try {
        return yield* call.next(call.request, context);
      } finally {
        context.trailer.set(MetadataKeys.retryPushbackMs, pushback);
      }
    };
    const server: Server = createServer().use(setPushback);
    server.add(
      EchoServiceDefinition,
      createEchoService(
        'p',
        { delayMs: 0, failRate: 1, failCode: Status.UNAVAILABLE },
        { echo: 0, write: 0, count: 0 },
      ),
    );
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
    return { address: `127.0.0.1:${port}`, arrivals };
  }

  it('a garbage pushback is ignored: the retry happens on the normal backoff', async () => {
    const server = await pushbackServer('soon');
    const retry = createRetry({ ...fast, maxRetries: 1 });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    await expect(client.echo({ message: 'x' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(server.arrivals).toHaveLength(2);
  });

  it('a negative pushback means do not retry', async () => {
    const server = await pushbackServer('-1');
    const retry = createRetry({ ...fast, maxRetries: 3 });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    const error = await client.echo({ message: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryPushbackError);
    expect((error as ClientError).code).toBe(Status.UNAVAILABLE);
    expect(server.arrivals).toHaveLength(1);
  });

  it('a positive pushback delays the next attempt exactly that long, on the injected scheduler', async () => {
    const server = await pushbackServer('300');
    const scheduler = new VirtualScheduler();
    const retry = createRetry({ ...fast, maxRetries: 1, scheduler });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    const result = client.echo({ message: 'x' }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(scheduler.pending).toBe(1), { timeout: 5_000 });
    scheduler.advance(299);
    expect(server.arrivals).toHaveLength(1);
    scheduler.advance(1);
    expect(await result).toMatchObject({ code: Status.UNAVAILABLE });
    expect(server.arrivals).toHaveLength(2);
  });

  it('the backoff between attempts runs on the injected scheduler, with no wall-clock wait', async () => {
    const server = await pushbackServer('');
    const scheduler = new VirtualScheduler();
    const backoff = { baseMs: 60_000, maxMs: 60_000, jitter: 'none' as const };
    const retry = createRetry({ backoff, maxRetries: 2, scheduler });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channelTo(server.address));
    const result = client.echo({ message: 'x' }).catch((e: unknown) => e);
    for (const attempts of [1, 2]) {
      await vi.waitFor(() => expect(scheduler.pending).toBe(1), { timeout: 5_000 });
      expect(server.arrivals).toHaveLength(attempts);
      scheduler.advance(59_999);
      expect(server.arrivals).toHaveLength(attempts);
      scheduler.advance(1);
    }
    expect(await result).toMatchObject({ code: Status.UNAVAILABLE });
    expect(server.arrivals).toHaveLength(3);
  });
});
