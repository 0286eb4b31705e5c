import http2 from 'node:http2';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcOptionsError, serve, service, type ServeHandle } from '../src/index.js';
import { ECHO, echoRequest } from './raw-grpc.js';
import { RawHttp2Connection } from './raw-http2.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(options: Partial<Parameters<typeof serve>[0]> = {}): Promise<ServeHandle> {
  const echo = service(
    EchoServiceDefinition,
    createEchoService('r1', defaultBehaviour(), { echo: 0, write: 0, count: 0 }),
  );
  const handle = await serve({ name: 'echo', services: [echo], handleSignals: false, metrics: false, ...options });
  cleanup.push(() => handle.close());
  return handle;
}

/** A node:http2 client session that records GOAWAY and when its socket closed. */
async function session(handle: ServeHandle) {
  const client = http2.connect(`http://${handle.address}`);
  cleanup.push(() => client.destroy());
  client.on('error', () => undefined);
  const seen: { goAway?: number; closedAt?: number } = {};
  client.on('goaway', (code) => (seen.goAway ??= code));
  client.on('close', () => (seen.closedAt = Date.now()));
  // The server's SETTINGS frame, not Node's defaults from before it arrived.
  const remoteSettings = await new Promise<http2.Settings>((resolve, reject) => {
    client.once('remoteSettings', resolve);
    client.once('error', reject);
  });
  return { client, seen, remoteSettings };
}

/** One Echo call on `client`; resolves with the grpc-status it ended with. */
function echo(client: http2.ClientHttp2Session, delayMs = 0): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const body = echoRequest('hi', delayMs);
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    const stream = client.request({
      ':method': 'POST',
      ':path': ECHO,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('trailers', (trailers) => resolve(trailers['grpc-status'] as string | undefined));
    stream.on('error', reject);
    // A stream cut without trailers: no status at all.
    stream.on('close', () => resolve(undefined));
    stream.resume();
    stream.end(frame);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serve(): HTTP/2 connection options', () => {
  it('advertises http2MaxConcurrentStreams (default 1000) in its SETTINGS', async () => {
    const defaults = await session(await start());
    expect(defaults.remoteSettings.maxConcurrentStreams).toBe(1000);
    const small = await session(await start({ http2MaxConcurrentStreams: 8 }));
    expect(small.remoteSettings.maxConcurrentStreams).toBe(8);
  });

  it('accepts a client that pings every second, with and without calls', async () => {
    const { client, seen } = await session(await start());
    for (let i = 0; i < 4; i++) {
      await new Promise<void>((resolve, reject) => client.ping((error) => (error ? reject(error) : resolve())));
      if (i % 2) expect(await echo(client)).toBe('0');
      await sleep(1000);
    }
    expect(seen.goAway).toBeUndefined();
    expect(client.closed || client.destroyed).toBe(false);
    expect(await echo(client)).toBe('0');
  });

  it('closes a connection whose peer stops answering keepalive pings, keeps one that answers', async () => {
    const handle = await start({ keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
    const silent = await RawHttp2Connection.open('127.0.0.1', handle.port);
    silent.answerPings = false;
    const alive = await RawHttp2Connection.open('127.0.0.1', handle.port);
    cleanup.push(
      () => silent.destroy(),
      () => alive.destroy(),
    );
    const opened = Date.now();
    await silent.closed;
    expect(Date.now() - opened).toBeGreaterThanOrEqual(350);
    expect(silent.serverEnded).toBe(true);
    await sleep(600);
    expect(alive.serverEnded).toBe(false);
  });

  it('sends GOAWAY at maxConnectionAgeMs and lets an open call finish within the grace', async () => {
    const handle = await start({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 2000 });
    const { client, seen } = await session(handle);
    const opened = Date.now();
    const slow = echo(client, 700);
    await expect(slow).resolves.toBe('0');
    expect(seen.goAway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await sleep(100);
    expect(seen.closedAt! - opened).toBeGreaterThanOrEqual(270);
  });

  it('cancels calls still open when the grace after max age runs out', async () => {
    const handle = await start({ maxConnectionAgeMs: 200, maxConnectionAgeGraceMs: 300 });
    const { client, seen } = await session(handle);
    const opened = Date.now();
    const stuck = await echo(client, 5000).then(
      (status) => status,
      (error: Error) => error.message,
    );
    expect(stuck).not.toBe('0');
    // Cut at age + grace (age has ±10 % jitter), long before the call's 5 s.
    expect(Date.now() - opened).toBeLessThan(2000);
    await vi.waitFor(() => expect(seen.closedAt).toBeDefined(), { timeout: 2_000, interval: 10 });
    expect(seen.goAway).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });

  it('closes a connection idle for maxConnectionIdleMs', async () => {
    const handle = await start({ maxConnectionIdleMs: 300 });
    const { client, seen } = await session(handle);
    expect(await echo(client)).toBe('0');
    const idleFrom = Date.now();
    await vi.waitFor(() => expect(seen.closedAt).toBeDefined(), { timeout: 2_000, interval: 10 });
    expect(seen.goAway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(seen.closedAt! - idleFrom).toBeGreaterThanOrEqual(250);
  });

  it('rejects invalid connection options, naming the field', async () => {
    const cases: [Partial<Parameters<typeof serve>[0]>, string][] = [
      [{ keepaliveTimeMs: 0 }, 'keepaliveTimeMs'],
      [{ keepaliveTimeoutMs: -1 }, 'keepaliveTimeoutMs'],
      [{ maxConnectionAgeMs: 1.5 }, 'maxConnectionAgeMs'],
      [{ maxConnectionAgeGraceMs: 0 }, 'maxConnectionAgeGraceMs'],
      [{ maxConnectionIdleMs: true as never }, 'maxConnectionIdleMs'],
      [{ http2MaxConcurrentStreams: 0 }, 'http2MaxConcurrentStreams'],
      [{ rapidReset: { burst: 1000, perSecond: 33 } }, 'rapidReset.burst'],
      [{ rapidReset: { burst: 10, perSecond: 33, extra: 1 } as never }, 'rapidReset.extra'],
    ];
    for (const [options, field] of cases) {
      const error = await start(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, field).toBeInstanceOf(RpcOptionsError);
      expect((error as RpcOptionsError).field, field).toBe(field);
      expect((error as Error).message).toContain(`option "${field}"`);
    }
  });
});
