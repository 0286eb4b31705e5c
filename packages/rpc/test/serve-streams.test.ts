import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { FixedLimit } from '@ballast/recovery';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIVENESS_SERVICE, serve, service, type ServeHandle } from '../src/index.js';
import {
  ECHO,
  echoRequest,
  firstMessage,
  HEALTH_CHECK,
  HEALTH_WATCH,
  healthRequest,
  healthStatus,
  RawClient,
  REFLECTION_V1,
} from './raw-grpc.js';

const SERVING = 1;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(options: Partial<Parameters<typeof serve>[0]> = {}): Promise<ServeHandle> {
  const echo = service(
    EchoServiceDefinition,
    createEchoService('r1', defaultBehaviour(), { echo: 0, write: 0, count: 0 }),
  );
  const handle = await serve({ name: 'echo', services: [echo], handleSignals: false, ...options });
  cleanup.push(() => handle.close());
  return handle;
}

function rawClient(address: string): RawClient {
  const client = new RawClient(address);
  cleanup.push(() => client.close());
  return client;
}

async function openWatch(client: RawClient, service = ''): Promise<void> {
  expect(healthStatus(await firstMessage(client.serverStream(HEALTH_WATCH, healthRequest(service))))).toBe(SERVING);
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: ServiceError) => e,
  );
  expect(error, 'expected the call to be refused').toBeDefined();
  return error!;
}

async function check(client: RawClient, service: string): Promise<number> {
  return healthStatus(await client.unary(HEALTH_CHECK, healthRequest(service)));
}

describe('serve(): streams are not unary work', () => {
  it('with defaults, 100 idle Watch and reflection streams on one connection leave calls and Check working; the 101st stream is refused', async () => {
    const handle = await start();
    const client = rawClient(handle.address);
    // Reflection streams that send headers only, then Watch streams, all on one connection.
    const reflections = Array.from({ length: 50 }, () => client.bidiStream(REFLECTION_V1));
    const watches = Array.from({ length: 50 }, () => client.serverStream(HEALTH_WATCH, healthRequest('')));
    for (const watch of watches) expect(healthStatus(await firstMessage(watch))).toBe(SERVING);

    expect(readFieldsMessage(await client.unary(ECHO, echoRequest('still here')))).toBe('still here');
    expect(await check(client, LIVENESS_SERVICE)).toBe(SERVING);
    expect(await check(client, '')).toBe(SERVING);
    // 25 unary calls at once: more than the shedder's floor of 20, which streams used to fill.
    const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => client.unary(ECHO, echoRequest(`b${i}`))));
    expect(burst).toHaveLength(25);

    const error = await refusal(firstMessage(client.serverStream(HEALTH_WATCH, healthRequest(''))));
    expect(error.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/maxStreamsPerConnection 100/);
    expect(error.details).toMatch(/close streams you no longer read, or open another connection/);

    // Another connection is not affected; and closing streams frees their places.
    await openWatch(rawClient(handle.address));
    for (const call of [...reflections.slice(0, 5), ...watches.slice(0, 5)]) call.cancel();
    await vi.waitFor(() => openWatch(client), { timeout: 10_000 });
  });

  it('Check (liveness too) answers while the unary cap or the shedder is full', async () => {
    for (const options of [{ maxConcurrentCalls: 4, loadShedding: false as const }, {}]) {
      const handle = await start(options);
      const client = rawClient(handle.address);
      const hung = Array.from({ length: 30 }, () =>
        client.unary(ECHO, echoRequest('hang', 60_000)).catch(() => 'cancelled'),
      );
      await vi.waitFor(
        async () => {
          const error = await refusal(client.unary(ECHO, echoRequest('probe')));
          expect(error.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
        },
        { timeout: 10_000 },
      );
      expect(await check(client, LIVENESS_SERVICE)).toBe(SERVING);
      expect(await check(client, EchoServiceDefinition.fullName)).toBe(SERVING);
      await openWatch(client, LIVENESS_SERVICE);
      client.close();
      await Promise.all(hung);
    }
  });

  it('gives the shedder a limit of your own: a FixedLimit holds at its value and its refusal names it', async () => {
    const handle = await start({ loadShedding: { limiter: new FixedLimit(3, 'loadShedding.limiter') } });
    expect(handle.shedding()?.limit).toBe(3);
    const client = rawClient(handle.address);
    const hung = Array.from({ length: 3 }, () =>
      client.unary(ECHO, echoRequest('hang', 60_000)).catch(() => 'cancelled'),
    );
    await vi.waitFor(() => expect(handle.shedding()?.inFlight).toBe(3), { timeout: 10_000 });
    const error = await refusal(client.unary(ECHO, echoRequest('probe')));
    expect(error.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/limit of 3 concurrent unary calls \(loadShedding\.limiter\)/);
    expect(handle.shedding()?.limit).toBe(3);
    client.close();
    await Promise.all(hung);
  });

  it('bounds streams per server as well as per connection, each refusal naming its limit', async () => {
    const handle = await start({ maxStreams: 6, maxStreamsPerConnection: 4 });
    const a = rawClient(handle.address);
    const b = rawClient(handle.address);
    for (let i = 0; i < 4; i++) await openWatch(a);
    const perConnection = await refusal(openWatch(a));
    expect(perConnection.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(perConnection.details).toMatch(/maxStreamsPerConnection 4/);

    await openWatch(b);
    await openWatch(b);
    const perServer = await refusal(openWatch(b));
    expect(perServer.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(perServer.details).toMatch(/limit \(maxStreams 6\)/);
    // Unary calls never count against the stream bound.
    await Promise.all(Array.from({ length: 10 }, () => b.unary(ECHO, echoRequest('x'))));
    expect(await check(b, LIVENESS_SERVICE)).toBe(SERVING);
  });

  it('rejects invalid stream limits, naming the option', async () => {
    await expect(start({ maxStreamsPerConnection: 0 })).rejects.toThrow(/option "maxStreamsPerConnection"/);
  });
});

function readFieldsMessage(response: Buffer): string {
  // EchoResponse.message is field 1; it is the first thing on the wire.
  const length = response[1]!;
  return response.subarray(2, 2 + length).toString();
}
