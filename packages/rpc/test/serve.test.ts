import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, makeTlsFixtures, type TlsFixtures } from '@ballast/testing';
import { ChannelCredentials, createChannel, createClient, Status, type Channel } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { ServerReflectionService } from 'nice-grpc-server-reflection';
import { ServerReflectionRequest } from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import { VirtualScheduler } from '@ballast/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LIVENESS_SERVICE, serve, service, type ServeHandle } from '../src/index.js';
import { clientCredentials } from '../src/tls.js';
import { ECHO, echoRequest } from './raw-grpc.js';
import { grpcMessage, RawHttp2Connection } from './raw-http2.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function echoEntry(replica = 'r1', overrides: Partial<ReturnType<typeof createEchoService>> = {}) {
  const counters = { echo: 0, write: 0, count: 0 };
  return service(EchoServiceDefinition, { ...createEchoService(replica, defaultBehaviour(), counters), ...overrides });
}

async function start(options: Partial<Parameters<typeof serve>[0]> = {}): Promise<ServeHandle> {
  const handle = await serve({ name: 'echo', services: [echoEntry()], handleSignals: false, ...options });
  cleanup.push(() => handle.close());
  return handle;
}

function channel(address: string, credentials?: ChannelCredentials): Channel {
  const ch = createChannel(address, credentials);
  cleanup.push(() => ch.close());
  return ch;
}

async function* oneRequest<T>(request: T): AsyncIterable<T> {
  yield request;
}

describe('serve()', () => {
  it('serves the services, health (readiness and liveness) and reflection', async () => {
    const handle = await start();
    const ch = channel(handle.address);
    expect((await createClient(EchoServiceDefinition, ch).echo({ message: 'hi' })).message).toBe('hi');

    const health = createClient(HealthDefinition, ch);
    expect((await health.check({ service: '' })).status).toBe(1);
    expect((await health.check({ service: EchoServiceDefinition.fullName })).status).toBe(1);
    expect((await health.check({ service: LIVENESS_SERVICE })).status).toBe(1);

    const reflection = createClient(ServerReflectionService, ch);
    const request = new ServerReflectionRequest().setListServices('*');
    const names: string[] = [];
    for await (const response of reflection.serverReflectionInfo(oneRequest(request))) {
      for (const s of response.getListServicesResponse()?.getServiceList() ?? []) names.push(s.getName());
    }
    expect(names).toContain('ballast.testing.v1.EchoService');
  });

  it('rejects invalid options with an error naming the field', async () => {
    await expect(serve({ name: 'Bad Name', services: [echoEntry()] })).rejects.toThrow(/option "name"/);
    await expect(serve({ name: 'ok', port: 70000, services: [echoEntry()] })).rejects.toThrow(/option "port"/);
    await expect(serve({ name: 'ok', services: [] })).rejects.toThrow(/option "services"/);
  });

  it('answers INTERNAL with a generic message when a handler throws, and keeps serving', async () => {
    const handle = await start({
      services: [
        echoEntry('r1', {
          async echo() {
            throw new Error('secret database password in /etc/app.conf');
          },
        }),
      ],
    });
    const echo = createClient(EchoServiceDefinition, channel(handle.address));
    const error = (await echo.echo({ message: 'x' }).then(
      () => ({ code: Status.OK, details: '' }),
      (e: unknown) => e,
    )) as { code: number; details: string };
    expect(error.code).toBe(Status.INTERNAL);
    expect(error.details).toMatch(/internal error \(incident [0-9a-f]{8}\)/);
    expect(error.details).not.toMatch(/secret|\/etc|at /);
    expect((await echo.write({ key: 'k', value: 'v' })).replica).toBe('r1');
  });

  // Each is a connection error (RFC 9113 §4.2, §6.5): nghttp2 answers GOAWAY FRAME_SIZE_ERROR.
  const malformed = {
    'a SETTINGS frame whose length is not a multiple of 6': Buffer.from([0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]),
    'a DATA frame longer than SETTINGS_MAX_FRAME_SIZE': Buffer.concat([
      Buffer.from([0, 0x4e, 0x20, 0, 0, 0, 0, 0, 1]),
      Buffer.alloc(20_000),
    ]),
  };
  it.each(Object.entries(malformed))(
    'after %s, cancels the calls open on that connection, frees their places and keeps serving',
    async (_name, frame) => {
      const held = { started: 0, aborted: 0 };
      const handle = await start({
        maxConcurrentCalls: 1,
        connectionCheck: { intervalMs: 100, timeoutMs: 400 },
        services: [
          echoEntry('r1', {
            async echo(request, context) {
              held.started++;
              await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, request.delayMs);
                context.signal.addEventListener('abort', () => {
                  held.aborted++;
                  clearTimeout(timer);
                  resolve();
                });
              });
              return { message: request.message, replica: 'r1', payload: Buffer.alloc(0) };
            },
          }),
        ],
      });
      const bystander = createClient(EchoServiceDefinition, channel(handle.address));
      await expect(bystander.write({ key: 'k', value: 'v' })).resolves.toMatchObject({ replica: 'r1' });

      const attacker = await RawHttp2Connection.open('127.0.0.1', handle.port);
      cleanup.push(() => attacker.destroy());
      // A call that only its cancellation can end within the test, holding the one place.
      attacker.openCall(handle.address, ECHO, grpcMessage(echoRequest('held', 60_000)));
      await vi.waitFor(() => expect(held.started).toBe(1), { timeout: 5000 });
      await expect(bystander.echo({ message: 'refused' })).rejects.toMatchObject({ code: Status.RESOURCE_EXHAUSTED });

      attacker.writeRaw(frame);
      await vi.waitFor(() => expect(attacker.goAway?.errorCode).toBe(6 /* FRAME_SIZE_ERROR */), { timeout: 5000 });
      await vi.waitFor(() => expect(held.aborted).toBe(1), { timeout: 3000 });
      await vi.waitFor(() => expect(attacker.serverEnded, 'the server closed the socket').toBe(true), {
        timeout: 1000,
      });

      const fresh = createClient(EchoServiceDefinition, channel(handle.address));
      expect((await fresh.echo({ message: 'fresh' })).message).toBe('fresh');
      expect((await bystander.echo({ message: 'still here' })).message).toBe('still here');
    },
  );

  it('refuses an oversized message with RESOURCE_EXHAUSTED', async () => {
    const handle = await start({ maxMessageBytes: 64 * 1024 });
    const echo = createClient(EchoServiceDefinition, channel(handle.address));
    await expect(echo.echo({ message: 'big', payload: Buffer.alloc(100 * 1024) })).rejects.toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
    });
    expect((await echo.echo({ message: 'small' })).message).toBe('small');
  });

  it('exposes Prometheus metrics on loopback', async () => {
    const handle = await start();
    await createClient(EchoServiceDefinition, channel(handle.address)).echo({ message: 'm' });
    expect(handle.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(handle.metricsUrl!)).text();
    expect(text).toMatch(/grpc_server_handled_total\{[^}]*grpc_method="Echo"/);
  });

  it('drains: readiness goes NOT_SERVING and an in-flight call completes', async () => {
    const handle = await start();
    const ch = channel(handle.address);
    const echo = createClient(EchoServiceDefinition, ch);
    const slow = echo.echo({ message: 'slow', delayMs: 300 });
    await echo.echo({ message: 'warm' });
    const states: string[] = [];
    handle.onStateChange((s) => states.push(s));
    const closed = handle.close();
    expect(handle.health.readiness()).toMatchObject({ type: 'not-ready', draining: true });
    expect(handle.health.state.getStatus()).toBe('unhealthy');
    expect((await slow).message).toBe('slow');
    await closed;
    expect(states).toEqual(['draining', 'closed']);
  });

  it('waits its drain delay on the injected scheduler, and a throwing state listener does not stop the drain', async () => {
    const scheduler = new VirtualScheduler();
    const handle = await start({ drainDelayMs: 60_000, loadReports: false, metrics: false, scheduler });
    handle.onStateChange(() => {
      throw new Error('listener bug');
    });
    const states: string[] = [];
    handle.onStateChange((s) => states.push(s));
    let closed = false;
    const closing = handle.close().then(() => (closed = true));
    await vi.waitFor(() => expect(scheduler.pending).toBe(1), { timeout: 5_000 });
    expect(states).toEqual(['draining']);
    await scheduler.advanceAsync(59_999);
    expect(closed).toBe(false);
    await scheduler.advanceAsync(1);
    await closing;
    expect(states).toEqual(['draining', 'closed']);
  });
});

describe('serve() with mTLS', () => {
  let tls: TlsFixtures;
  beforeAll(() => {
    tls = makeTlsFixtures();
  });
  afterAll(() => tls?.remove());

  it('accepts a client with a certificate from its CA and refuses one without', async () => {
    const handle = await start({ tls: { cert: tls.serverCert, key: tls.serverKey, ca: tls.ca } });
    const trusted = createClient(
      EchoServiceDefinition,
      channel(handle.address, clientCredentials({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey })),
    );
    expect((await trusted.echo({ message: 'secure' })).message).toBe('secure');

    const anonymous = createClient(EchoServiceDefinition, channel(handle.address, clientCredentials({ ca: tls.ca })));
    await expect(anonymous.echo({ message: 'x' }, { signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({
      code: Status.UNAVAILABLE,
    });
    const stranger = createClient(
      EchoServiceDefinition,
      channel(handle.address, clientCredentials({ ca: tls.ca, cert: tls.strangerCert, key: tls.strangerKey })),
    );
    await expect(stranger.echo({ message: 'x' }, { signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({
      code: Status.UNAVAILABLE,
    });
  });
});
