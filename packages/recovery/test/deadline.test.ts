import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { delay } from '@ballast/testing';
import { createChannel, createClientFactory, createServer, type Server } from 'nice-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDeadlineMiddleware,
  currentDeadline,
  deadlineInterceptor,
  deadlinePropagationServerMiddleware,
} from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const unused = async () => {
  throw new Error('not used');
};

async function hop(impl: EchoServiceImplementation['echo']): Promise<string> {
  const server: Server = createServer({ interceptors: [deadlineInterceptor] }).use(deadlinePropagationServerMiddleware);
  server.add(EchoServiceDefinition, { echo: impl, write: unused, count: unused as never, chat: unused as never });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

function clientTo(address: string, marginMs: number) {
  const channel = createChannel(address);
  cleanups.push(() => channel.close());
  return createClientFactory().use(createDeadlineMiddleware({ marginMs })).create(EchoServiceDefinition, channel);
}

describe('deadline propagation', () => {
  it('a deadline set at the edge reaches the third hop, minus a margin per hop', async () => {
    const marginMs = 1_000;
    // third hop: reports the deadline it was called with (after an await, to prove the store survives it)
    const third = await hop(async (request) => {
      await new Promise((resolve) => setImmediate(resolve));
      const deadline = currentDeadline();
      return { message: String(deadline?.at ?? 'none'), replica: 'c', payload: request.payload };
    });
    const toThird = clientTo(third, marginMs);
    const second = await hop(async (request) => toThird.echo(request));
    const toSecond = clientTo(second, marginMs);
    const first = await hop(async (request) => toSecond.echo(request));
    const edge = clientTo(first, marginMs);

    const edgeDeadline = Date.now() + 10_000;
    const response = await edge.echo({ message: 'go' }, { deadline: new Date(edgeDeadline) });
    const seen = Number(response.message);
    expect(Number.isFinite(seen)).toBe(true);
    // Two propagating hops each keep back the margin. The remaining time travels relative (like
    // grpc-timeout), so each hop's transit time is added back: allow up to 500 ms of it in all,
    // still well short of one margin, so a hop that did not subtract would fail this.
    expect(seen).toBeLessThanOrEqual(edgeDeadline - 2 * marginMs + 500);
    expect(seen).toBeGreaterThan(edgeDeadline - 2 * marginMs - 2_000);
    expect(seen).toBeGreaterThan(Date.now());
  });

  it('without an incoming deadline nothing is imposed, and an own shorter deadline wins', async () => {
    const reporter = await hop(async () => ({
      message: String(currentDeadline()?.at ?? 'none'),
      replica: 'r',
      payload: Buffer.alloc(0),
    }));
    const client = clientTo(reporter, 20);
    expect((await client.echo({ message: 'x' })).message).toBe('none');
    const at = Date.now() + 2_000;
    const seen = Number((await client.echo({ message: 'x' }, { deadline: 2_000 })).message);
    expect(Math.abs(seen - at)).toBeLessThan(500);
  });

  it('the handler is aborted when the incoming deadline passes, and the call ends DEADLINE_EXCEEDED', async () => {
    let aborted: () => void = () => {};
    const handlerAborted = new Promise<void>((resolve) => (aborted = resolve));
    const slow = await hop(async (request, context) => {
      context.signal.addEventListener('abort', () => aborted());
      await delay(20_000, context.signal); // a well-behaved handler stops when its signal aborts
      return { message: request.message, replica: 's', payload: Buffer.alloc(0) };
    });
    const channel = createChannel(slow);
    cleanups.push(() => channel.close());
    // A plain client (no local deadline) that only sends the remaining time: the server enforces it.
    const client = createClientFactory().create(EchoServiceDefinition, channel);
    const { Metadata, Status } = await import('nice-grpc-common');
    const call = client.echo({ message: 'x' }, { metadata: Metadata({ 'ballast-timeout-ms': '200' }) });
    await handlerAborted;
    await expect(call).rejects.toMatchObject({ code: Status.DEADLINE_EXCEEDED });
  });

  it('a client cannot forge the internal deadline header', async () => {
    const reporter = await hop(async () => ({
      message: String(currentDeadline()?.at ?? 'none'),
      replica: 'r',
      payload: Buffer.alloc(0),
    }));
    const channel = createChannel(reporter);
    cleanups.push(() => channel.close());
    const client = createClientFactory().create(EchoServiceDefinition, channel);
    const { Metadata } = await import('nice-grpc-common');
    const response = await client.echo({ message: 'x' }, { metadata: Metadata({ 'ballast-deadline-at': '1' }) });
    expect(response.message).toBe('none');
  });
});
