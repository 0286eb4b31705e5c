import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createChannel, createClient, Status, ClientError } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnEchoReplica, startEchoServer, type EchoReplica, type EchoServer } from '../src/index.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function client(address: string) {
  const channel = createChannel(address);
  cleanup.push(() => channel.close());
  return createClient(EchoServiceDefinition, channel);
}

describe('generated stubs over a real server', () => {
  it('makes a unary call and a server-streaming call', async () => {
    const server: EchoServer = await startEchoServer({ replica: 'a' });
    cleanup.push(() => server.kill());
    const echo = client(server.address);

    const response = await echo.echo({ message: 'hello' });
    expect(response).toEqual({ message: 'hello', replica: 'a', payload: Buffer.alloc(0) });

    const numbers: number[] = [];
    for await (const item of echo.count({ count: 5 })) numbers.push(item.n);
    expect(numbers).toEqual([1, 2, 3, 4, 5]);
  });

  it('carries idempotency levels from the proto options', () => {
    expect(EchoServiceDefinition.methods.echo.options.idempotencyLevel).toBe('NO_SIDE_EFFECTS');
    expect(EchoServiceDefinition.methods.write.options).toEqual({});
  });

  it('fails calls as the behaviour asks', async () => {
    const server = await startEchoServer({ replica: 'b', behaviour: { failRate: 1 } });
    cleanup.push(() => server.kill());
    await expect(client(server.address).echo({ message: 'x' })).rejects.toMatchObject({
      code: Status.UNAVAILABLE,
    } satisfies Partial<ClientError>);
  });
});

describe('child-process replica', () => {
  it('answers, takes commands, and dies on SIGKILL', async () => {
    const replica: EchoReplica = await spawnEchoReplica('child-1');
    cleanup.push(() => replica.stop());
    const echo = client(replica.address);
    expect((await echo.echo({ message: 'hi' })).replica).toBe('child-1');

    await replica.send({ failRate: 1, failCode: Status.RESOURCE_EXHAUSTED });
    await expect(echo.echo({ message: 'hi' })).rejects.toMatchObject({ code: Status.RESOURCE_EXHAUSTED });

    const channel = createChannel(replica.address);
    cleanup.push(() => channel.close());
    const health = createClient(HealthDefinition, channel);
    await replica.send({ health: 'unhealthy' });
    expect((await health.check({ service: '' })).status).toBe(2 /* NOT_SERVING */);

    await replica.crash();
    expect(await replica.exited).toBe('SIGKILL');
    await expect(echo.echo({ message: 'hi' }, { signal: AbortSignal.timeout(2_000) })).rejects.toMatchObject({
      code: Status.UNAVAILABLE,
    });
  });

  it('is slow to every caller but the one it spares', async () => {
    const replica = await spawnEchoReplica('child-2');
    cleanup.push(() => replica.stop());
    const echo = client(replica.address);
    // Far longer than the deadlines below: a delayed call can only end by its deadline.
    await replica.send({ delayMs: 60_000, fastFor: 'spared' });
    const held = (message: string) =>
      expect(echo.echo({ message }, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
        name: 'TimeoutError',
      });

    expect((await echo.echo({ message: 'spared' }, { signal: AbortSignal.timeout(5_000) })).message).toBe('spared');
    await held('anyone else');

    await replica.send({ fastFor: '' });
    await held('spared');
  });
});
