import http2 from 'node:http2';
import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, service, type ServeHandle } from '../src/index.js';
import { ECHO, echoRequest, RawClient } from './raw-grpc.js';
import { grpcMessage, RawHttp2Connection } from './raw-http2.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/**
 * Echo whose calls wait `delayMs` unless their signal aborts first; it counts how the calls with
 * message "abandoned" (the attacker's) end.
 */
function countingEcho() {
  const counts = { started: 0, cancelled: 0, answered: 0 };
  const implementation: EchoServiceImplementation = {
    async echo(request, context) {
      if (request.message !== 'abandoned') return { message: request.message, replica: 'r1', payload: Buffer.alloc(0) };
      counts.started++;
      const aborted = await new Promise<boolean>((resolve) => {
        if (context.signal.aborted) return resolve(true);
        const timer = setTimeout(() => resolve(false), request.delayMs);
        context.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (aborted) counts.cancelled++;
      else counts.answered++;
      return { message: request.message, replica: 'r1', payload: Buffer.alloc(0) };
    },
    async write() {
      return { replica: 'r1' };
    },
    async *count() {},
    async *chat() {},
  };
  return { counts, implementation };
}

async function start(implementation: EchoServiceImplementation, options: Partial<Parameters<typeof serve>[0]> = {}) {
  const handle: ServeHandle = await serve({
    name: 'echo',
    services: [service(EchoServiceDefinition, implementation)],
    handleSignals: false,
    metrics: false,
    ...options,
  });
  cleanup.push(() => handle.close());
  return handle;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('serve(): HTTP/2 rapid reset', () => {
  it('closes a connection that opens and resets 1,100 streams; its handlers see cancellation; another connection is served throughout', async () => {
    const { counts, implementation } = countingEcho();
    const handle = await start(implementation);

    // The control client: its own connection, plain grpc-js, no retries; it calls all through the burst.
    const control = new RawClient(handle.address);
    cleanup.push(() => control.close());
    await control.unary(ECHO, echoRequest('warm-up'));
    let controlOk = 0;
    const controlErrors: unknown[] = [];
    let bursting = true;
    const controlLoop = (async () => {
      while (bursting) {
        await control.unary(ECHO, echoRequest('control'), 2000).then(
          () => controlOk++,
          (error: unknown) => controlErrors.push(error),
        );
      }
    })();

    const attacker = await RawHttp2Connection.open('127.0.0.1', handle.port);
    cleanup.push(() => attacker.destroy());
    // Each call asks for a 5 s answer, so only cancellation ends its handler within the test.
    const message = grpcMessage(echoRequest('abandoned', 5000));
    let sent = 0;
    for (let batch = 0; batch < 11; batch++) {
      sent += attacker.openAndReset(100, handle.address, ECHO, message);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.race([
      attacker.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the attacker’s socket is still open')), 5000)),
    ]);
    const controlOkDuringBurst = controlOk;
    // Every handler that started for the attacker ends by cancellation, none by answering.
    await until(() => counts.cancelled === counts.started);
    bursting = false;
    await controlLoop;

    expect(sent).toBeGreaterThanOrEqual(500);
    expect(attacker.goAway?.errorCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(attacker.serverEnded, 'the server, not the client, ended the connection').toBe(true);
    expect(counts.cancelled).toBeGreaterThanOrEqual(400);
    expect(counts.cancelled).toBeLessThanOrEqual(sent);
    expect(counts.answered).toBe(0);
    expect(controlErrors).toEqual([]);
    expect(controlOkDuringBurst).toBeGreaterThan(0);
    // The server is still fine for new connections.
    const after = new RawClient(handle.address);
    cleanup.push(() => after.close());
    await expect(after.unary(ECHO, echoRequest('after'))).resolves.toBeDefined();
  });

  it('with the guard off, nghttp2 alone sends GOAWAY after ~1,000 resets but leaves the socket open', async () => {
    const { implementation } = countingEcho();
    // Its reset streams after the GOAWAY never close, so their handlers wait out their 5 s: drain briefly.
    // The connection check, which would close such a connection, is off too: this is nghttp2 alone.
    const handle = await start(implementation, { rapidReset: false, connectionCheck: false, drainTimeoutMs: 100 });
    const attacker = await RawHttp2Connection.open('127.0.0.1', handle.port);
    cleanup.push(() => attacker.destroy());
    const message = grpcMessage(echoRequest('abandoned', 5000));
    for (let batch = 0; batch < 11; batch++) {
      attacker.openAndReset(100, handle.address, ECHO, message);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => attacker.goAway !== undefined, 10_000);
    expect(attacker.goAway?.errorCode, 'nghttp2 ends the session with an error').not.toBe(
      http2.constants.NGHTTP2_NO_ERROR,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(attacker.serverEnded).toBe(false);
    expect(attacker.socket.destroyed).toBe(false);
  });
});
