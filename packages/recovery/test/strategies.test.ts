import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { startEchoServer, type EchoServer } from '@ballast/testing';
import { createChannel, createClientFactory, type Channel } from 'nice-grpc';
import { Status } from 'nice-grpc-common';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcast, createRetry, failfastMiddleware, failsafe, FallbackFailedError } from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(replica: string, failRate = 0): Promise<EchoServer> {
  const s = await startEchoServer({ replica, behaviour: { failRate } });
  cleanups.push(() => s.kill());
  return s;
}
function channel(address: string): Channel {
  const c = createChannel(address);
  cleanups.push(() => c.close());
  return c;
}

describe('failfast', () => {
  it('one attempt even for an idempotent method under a retry middleware', async () => {
    const s = await server('a', 1);
    const retry = createRetry({ backoff: { baseMs: 0 }, maxRetries: 3, budget: false });
    const client = createClientFactory()
      .use(retry.middleware)
      .use(failfastMiddleware)
      .create(EchoServiceDefinition, channel(s.address));
    await expect(client.echo({ message: 'x' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(s.counters.echo).toBe(1);
  });
});

describe('failsafe', () => {
  it('returns the fallback and records the error', async () => {
    const s = await server('a', 1);
    const client = createClientFactory().create(EchoServiceDefinition, channel(s.address));
    const recorded: unknown[] = [];
    const response = await failsafe(
      () => client.echo({ message: 'x' }),
      () => ({ message: 'cached', replica: 'fallback', payload: Buffer.alloc(0) }),
      { onError: (e) => recorded.push(e) },
    );
    expect(response.replica).toBe('fallback');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ code: Status.UNAVAILABLE });
  });

  it('a throwing fallback is reported with both errors, not swallowed', async () => {
    const s = await server('a', 1);
    const client = createClientFactory().create(EchoServiceDefinition, channel(s.address));
    const error = await failsafe(
      () => client.echo({ message: 'x' }),
      () => {
        throw new Error('cache down');
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FallbackFailedError);
    expect((error as FallbackFailedError).code).toBe('FALLBACK_FAILED');
    expect((error as Error).message).toMatch(/cache down.*injected failure/);
    expect((error as FallbackFailedError).callError).toMatchObject({ code: Status.UNAVAILABLE });
  });

  it('a successful call never touches the fallback', async () => {
    const s = await server('a');
    const client = createClientFactory().create(EchoServiceDefinition, channel(s.address));
    const response = await failsafe(
      () => client.echo({ message: 'x' }),
      () => {
        throw new Error('must not run');
      },
    );
    expect(response.replica).toBe('a');
  });
});

describe('broadcast', () => {
  it('calls every endpoint and reports each result', async () => {
    const servers = [await server('a'), await server('b', 1), await server('c')];
    const targets = servers.map((s) => ({
      id: s.replica,
      client: createClientFactory().create(EchoServiceDefinition, channel(s.address)),
    }));
    const report = await broadcast(targets, (client, signal) =>
      client.write({ key: 'cache', value: 'drop' }, { signal }),
    );
    expect(report.succeeded).toBe(2);
    expect(report.failed).toBe(1);
    expect(report.results.map((r) => [r.id, r.ok])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    const failed = report.results[1]!;
    expect(!failed.ok && failed.error).toMatchObject({ code: Status.UNAVAILABLE });
    expect(servers.map((s) => s.counters.write)).toEqual([1, 1, 1]);
  });
});
