import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, service, type ServeHandle } from '../src/index.js';
import { firstMessage, RawClient, readFields, REFLECTION_V1, REFLECTION_V1ALPHA, stringField } from './raw-grpc.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function startEcho(options: Partial<Parameters<typeof serve>[0]> = {}): Promise<RawClient> {
  const echo = service(
    EchoServiceDefinition,
    createEchoService('r1', defaultBehaviour(), { echo: 0, write: 0, count: 0 }),
  );
  const handle: ServeHandle = await serve({
    name: 'echo',
    services: [echo],
    handleSignals: false,
    metrics: false,
    ...options,
  });
  cleanup.push(() => handle.close());
  const client = new RawClient(handle.address);
  cleanup.push(() => client.close());
  return client;
}

/** One ServerReflectionRequest on its own stream; the response's fields. */
async function reflect(client: RawClient, path: string, request: Buffer) {
  const call = client.bidiStream(path);
  const answer = firstMessage(call);
  call.write(request);
  const response = await answer;
  call.end();
  return readFields(response);
}

const field = (fields: ReturnType<typeof readFields>, n: number) =>
  fields.filter((f) => f.field === n).map((f) => f.value);
const text = (value: number | Buffer | undefined) => (Buffer.isBuffer(value) ? value.toString() : undefined);

async function listServices(client: RawClient, path: string): Promise<string[]> {
  const fields = await reflect(client, path, stringField(7, '*'));
  const list = field(fields, 6)[0] as Buffer;
  return field(readFields(list), 1).map((s) => text(field(readFields(s as Buffer), 1)[0])!);
}

/** The files of a file_descriptor_response: name, package and service names; or the error code. */
async function files(client: RawClient, path: string, request: Buffer) {
  const fields = await reflect(client, path, request);
  const error = field(fields, 7)[0] as Buffer | undefined;
  if (error) return { error: field(readFields(error), 1)[0] as number };
  const response = readFields(field(fields, 4)[0] as Buffer);
  return {
    files: field(response, 1).map((bytes) => {
      const file = readFields(bytes as Buffer);
      return {
        name: text(field(file, 1)[0]),
        package: text(field(file, 2)[0]),
        services: field(file, 6).map((s) => text(field(readFields(s as Buffer), 1)[0])),
      };
    }),
  };
}

const bySymbol = (symbol: string) => stringField(4, symbol);
const byFilename = (name: string) => stringField(3, name);

describe('serve(): reflection', () => {
  for (const [version, path] of [
    ['v1', REFLECTION_V1],
    ['v1alpha', REFLECTION_V1ALPHA],
  ] as const) {
    it(`${version} lists every service served, health, reflection and ORCA included, and describes each`, async () => {
      const client = await startEcho();
      expect((await listServices(client, path)).sort()).toEqual([
        'ballast.testing.v1.EchoService',
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
        'xds.service.orca.v3.OpenRcaService',
      ]);
      expect(await files(client, path, bySymbol('grpc.health.v1.Health'))).toEqual({
        files: [{ name: 'grpc/health/v1/health.proto', package: 'grpc.health.v1', services: ['Health'] }],
      });
      expect(await files(client, path, bySymbol('grpc.health.v1.Health.Watch'))).toMatchObject({
        files: [{ name: 'grpc/health/v1/health.proto' }],
      });
      for (const pkg of ['v1', 'v1alpha']) {
        expect(await files(client, path, bySymbol(`grpc.reflection.${pkg}.ServerReflection`))).toEqual({
          files: [
            {
              name: `grpc/reflection/${pkg}/reflection.proto`,
              package: `grpc.reflection.${pkg}`,
              services: ['ServerReflection'],
            },
          ],
        });
      }
      expect(await files(client, path, bySymbol('ballast.testing.v1.EchoService'))).toMatchObject({
        files: [{ package: 'ballast.testing.v1', services: ['EchoService'] }],
      });
    });
  }

  it('describes only what it serves: an Echo-only server knows nothing of the shop', async () => {
    const client = await startEcho();
    for (const path of [REFLECTION_V1, REFLECTION_V1ALPHA]) {
      expect(await listServices(client, path)).not.toContain('shop.v1.OrderService');
      expect(await files(client, path, bySymbol('shop.v1.OrderService'))).toEqual({ error: GrpcStatus.NOT_FOUND });
      expect(await files(client, path, bySymbol('shop.v1.PaymentService'))).toEqual({ error: GrpcStatus.NOT_FOUND });
      expect(await files(client, path, byFilename('shop/v1/orders.proto'))).toEqual({ error: GrpcStatus.NOT_FOUND });
    }
  });
});
