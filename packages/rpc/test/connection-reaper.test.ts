import http2 from 'node:http2';
import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serve, service, type ServeHandle } from '../src/index.js';
import { ECHO, echoRequest, RawClient } from './raw-grpc.js';
import { grpcMessage, RawHttp2Connection } from './raw-http2.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Echo whose calls wait `delayMs` unless their signal aborts first; it counts how the "held" ones end. */
function waitingEcho() {
  const calls = { started: 0, aborted: 0, answered: 0 };
  const count = (message: string, what: keyof typeof calls) => {
    if (message === 'held') calls[what]++;
  };
  const implementation: EchoServiceImplementation = {
    async echo(request, context) {
      if (!request.delayMs) return { message: request.message, replica: 'r1', payload: Buffer.alloc(0) };
      count(request.message, 'started');
      const aborted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), request.delayMs);
        context.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      count(request.message, aborted ? 'aborted' : 'answered');
      return { message: request.message, replica: 'r1', payload: Buffer.alloc(0) };
    },
    async write() {
      return { replica: 'r1' };
    },
    async *count() {},
    async *chat() {},
  };
  return { calls, implementation };
}

/**
 * A server with room for one unary call, checking quiet connections every 100 ms; a second for an
 * answer to PING leaves room for this busy machine's stalls.
 */
async function start(implementation: EchoServiceImplementation, options: Partial<Parameters<typeof serve>[0]> = {}) {
  const handle: ServeHandle = await serve({
    name: 'echo',
    services: [service(EchoServiceDefinition, implementation)],
    handleSignals: false,
    metrics: false,
    maxConcurrentCalls: 1,
    connectionCheck: { intervalMs: 100, timeoutMs: 1000 },
    drainTimeoutMs: 500,
    ...options,
  });
  cleanup.push(() => handle.close());
  return handle;
}

async function rawConnection(handle: ServeHandle): Promise<RawHttp2Connection> {
  const connection = await RawHttp2Connection.open('127.0.0.1', handle.port);
  cleanup.push(() => connection.destroy());
  return connection;
}

/** One unary Echo on its own new connection; resolves with the gRPC code (0 when answered). */
async function freshCall(handle: ServeHandle): Promise<number> {
  const client = new RawClient(handle.address);
  cleanup.push(() => client.close());
  return client.unary(ECHO, echoRequest('fresh'), 5000).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
}

describe('serve(): connections that can no longer carry their calls', () => {
  it('a peer that closes its socket with a call open: the handler sees abort and the place is freed', async () => {
    const { calls, implementation } = waitingEcho();
    const handle = await start(implementation);
    const peer = await rawConnection(handle);
    peer.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 60_000)));
    await vi.waitFor(() => expect(calls.started).toBe(1), { timeout: 5000 });
    expect(await freshCall(handle)).toBe(8 /* RESOURCE_EXHAUSTED */);

    peer.destroy();
    await vi.waitFor(() => expect(calls.aborted).toBe(1), { timeout: 3000 });
    expect(await freshCall(handle)).toBe(0);
  });

  it('a connection closed by the rapid-reset guard: the call it held open sees abort', async () => {
    const { calls, implementation } = waitingEcho();
    const handle = await start(implementation, { rapidReset: { burst: 20, perSecond: 1 }, maxConcurrentCalls: 1000 });
    const attacker = await rawConnection(handle);
    attacker.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 60_000)));
    await vi.waitFor(() => expect(calls.started).toBe(1), { timeout: 5000 });

    attacker.openAndReset(100, handle.address, ECHO, grpcMessage(echoRequest('abandoned', 60_000)));
    await vi.waitFor(() => expect(attacker.serverEnded).toBe(true), { timeout: 5000 });
    expect(attacker.goAway?.errorCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    await vi.waitFor(() => expect(calls.aborted).toBe(1), { timeout: 3000 });
    expect(await freshCall(handle)).toBe(0);
  });

  it('a peer that has vanished (answers no PING) with a call open is closed and its call cancelled', async () => {
    const { calls, implementation } = waitingEcho();
    const handle = await start(implementation);
    const vanished = await rawConnection(handle);
    vanished.answerPings = false;
    vanished.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 60_000)));
    await vi.waitFor(() => expect(calls.started).toBe(1), { timeout: 5000 });

    await vi.waitFor(() => expect(calls.aborted).toBe(1), { timeout: 3000 });
    expect(vanished.pingsReceived).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(vanished.serverEnded).toBe(true), { timeout: 1000 });
    expect(await freshCall(handle)).toBe(0);
  });

  it('a quiet connection that answers PINGs keeps its call until the handler answers', async () => {
    const { calls, implementation } = waitingEcho();
    const handle = await start(implementation);
    const quiet = await rawConnection(handle);
    // More than twice the timeout, with nothing sent but PING answers.
    quiet.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 2500)));

    await vi.waitFor(() => expect(calls.answered).toBe(1), { timeout: 5000 });
    expect(calls.aborted).toBe(0);
    expect(quiet.pingsReceived).toBeGreaterThanOrEqual(2);
    expect(quiet.serverEnded).toBe(false);
  });

  it('a stall of this process while a PING answer waits unread does not close the connection', async () => {
    const { calls, implementation } = waitingEcho();
    const handle = await start(implementation);
    const quiet = await rawConnection(handle);
    let stalled = false;
    // Runs just after the raw client has written its PING answer, before the server can read it.
    quiet.socket.on('data', () => {
      if (stalled || quiet.pingsReceived === 0) return;
      stalled = true;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        // A blocked event loop (a long GC, CPU-bound work): every timer, the check's too, runs late.
      }
    });
    quiet.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 2500)));

    await vi.waitFor(() => expect(calls.answered).toBe(1), { timeout: 6000 });
    expect(stalled).toBe(true);
    expect(calls.aborted).toBe(0);
    expect(quiet.serverEnded).toBe(false);
  });

  it('a busy connection is not pinged', async () => {
    const { implementation } = waitingEcho();
    const handle = await start(implementation, { maxConcurrentCalls: 100 });
    const busy = await rawConnection(handle);
    busy.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 1000)));
    // A new call every 20 ms keeps bytes arriving between checks.
    const ends = Date.now() + 900;
    while (Date.now() < ends) {
      busy.openCall(handle.address, ECHO, grpcMessage(echoRequest('quick')));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(busy.pingsReceived).toBe(0);
  });
});
