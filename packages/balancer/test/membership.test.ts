import {
  MetadataKeys,
  StaticEndpointSource,
  seededRandom,
  type CallOutcome,
  type Endpoint,
  type HealthView,
} from '@ballast/core';
import { EchoServiceDefinition, type EchoRequest } from '@ballast/stubs/ballast/testing/v1/echo';
import * as grpc from '@grpc/grpc-js';
import { spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import { ClientError, Metadata, Status, createClient, createClientFactory } from 'nice-grpc';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBalancedChannel, type BalancedChannel } from '../src/index.js';
import { startRecordingServer, type RecordingServer } from './fixtures.js';

const silent = pino({ level: 'silent' });
let servers: RecordingServer[] = [];
let channels: BalancedChannel[] = [];
let replicas: EchoReplica[] = [];

beforeEach(async () => {
  servers = await Promise.all(['a', 'b', 'c'].map(startRecordingServer));
});

afterEach(async () => {
  for (const channel of channels) channel.close();
  channels = [];
  for (const server of servers) server.kill();
  await Promise.all(replicas.map((r) => r.stop()));
  replicas = [];
});

const asEndpoints = (list: readonly { replica: string; address: string }[]): Endpoint[] =>
  list.map((s) => ({ id: s.replica, address: s.address }));

function track(channel: BalancedChannel): BalancedChannel {
  channels.push(channel);
  return channel;
}

/** A detector stand-in: a mutable set of ejected ids, announcing every change. */
function ejector(): HealthView & { eject(...ids: string[]): void } {
  const ejected = new Set<string>();
  const listeners = new Set<() => void>();
  return {
    eligible: (endpoints) => endpoints.filter((e) => !ejected.has(e.id)),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    eject(...ids) {
      for (const id of ids) ejected.add(id);
      for (const listener of listeners) listener();
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('endpoint membership', () => {
  it('an endpoint removed from the source stops getting picks; its in-flight call still finishes', async () => {
    const source = new StaticEndpointSource(asEndpoints(servers));
    const channel = track(
      createBalancedChannel({ service: 'echo', source, policy: 'round-robin', random: seededRandom(1) }),
    );
    const client = createClient(EchoServiceDefinition, channel);
    const slow = servers.map(() => client.echo({ message: 'slow', delayMs: 300 }));
    await vi.waitFor(() => expect(servers.every((s) => s.counters.echo === 1)).toBe(true), { timeout: 10_000 });
    source.set(asEndpoints(servers.slice(1)));
    expect(channel.stats().map((s) => s.id)).toEqual(['b', 'c']);
    const replies = await Promise.all(slow);
    expect(replies.map((r) => r.replica).sort()).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 10; i++) expect((await client.echo({ message: 'x' })).replica).not.toBe('a');
    expect(servers[0]!.counters.echo).toBe(1);
  });

  it('only endpoints the health view lets through take picks; all ejected fails fast naming why', async () => {
    const health = ejector();
    const source = asEndpoints(servers);
    const client = createClient(
      EchoServiceDefinition,
      track(createBalancedChannel({ service: 'echo', source, health })),
    );
    health.eject('b');
    await Promise.all(Array.from({ length: 20 }, () => client.echo({ message: 'x' })));
    expect(servers[1]!.counters.echo).toBe(0);
    health.eject('a', 'c');
    const error = await errorOf(client.echo({ message: 'x' }));
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(error.details).toBe('echo: all 3 endpoints ejected');
  });

  it('no endpoints fails fast with UNAVAILABLE naming the service', async () => {
    const client = createClient(EchoServiceDefinition, track(createBalancedChannel({ service: 'echo', source: [] })));
    const error = await errorOf(client.echo({ message: 'x' }));
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(error.details).toBe('echo: no endpoints');
  });

  it('wait-for-ready waits for an endpoint to appear, and gives up when the caller does', async () => {
    const source = new StaticEndpointSource([]);
    const channel = track(createBalancedChannel({ service: 'echo', source }));
    const client = createClient(EchoServiceDefinition, channel);
    const metadata = Metadata({ [MetadataKeys.waitForReady]: 'true' });
    const waiting = client.echo({ message: 'x' }, { metadata });
    const aborted = client.echo({ message: 'y' }, { metadata, signal: AbortSignal.timeout(100) });
    await expect(aborted).rejects.toThrow(/abort/i);
    source.set(asEndpoints(servers.slice(2)));
    expect((await waiting).replica).toBe('c');
    expect(servers[2]!.seenKeys[0]).not.toContain(MetadataKeys.waitForReady);
  });

  it("grpc-js's waitForReady call option waits until the call's deadline, then fails DEADLINE_EXCEEDED", async () => {
    const channel = track(createBalancedChannel({ service: 'echo', source: [] }));
    const client = new grpc.Client('', grpc.credentials.createInsecure(), { channelOverride: channel });
    const method = EchoServiceDefinition.methods.echo;
    const status = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(
        '/ballast.testing.v1.EchoService/Echo',
        (request: EchoRequest) => Buffer.from(method.requestType.encode(request).finish()),
        (bytes: Buffer) => method.responseType.decode(bytes),
        { message: 'x', delayMs: 0, failCode: 0, payload: Buffer.alloc(0) },
        new grpc.Metadata({ waitForReady: true }),
        { deadline: Date.now() + 150 },
        (error) => resolve(error!),
      ),
    );
    expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(status.details).toMatch(/waiting for ready: echo: no endpoints/);
  });

  it('the channel-wide waitForReady option applies to every call', async () => {
    const source = new StaticEndpointSource([]);
    const client = createClient(
      EchoServiceDefinition,
      track(createBalancedChannel({ service: 'echo', source, waitForReady: true })),
    );
    const waiting = client.echo({ message: 'x' });
    await new Promise((resolve) => setImmediate(resolve));
    source.set(asEndpoints(servers.slice(0, 1)));
    expect((await waiting).replica).toBe('a');
  });

  it('close() fails calls still waiting for an endpoint', async () => {
    const channel = track(createBalancedChannel({ service: 'echo', source: [], waitForReady: true }));
    const client = createClient(EchoServiceDefinition, channel);
    const waiting = errorOf(client.echo({ message: 'x' }));
    await new Promise((resolve) => setImmediate(resolve));
    channel.close();
    const error = await waiting;
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(error.details).toBe('echo: the balanced channel is closed');
  });

  it('close() ends the channel: later calls fail UNAVAILABLE', async () => {
    const channel = track(createBalancedChannel({ service: 'echo', source: asEndpoints(servers) }));
    const client = createClient(EchoServiceDefinition, channel);
    await client.echo({ message: 'x' });
    channel.close();
    const error = await errorOf(client.echo({ message: 'x' }));
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(error.details).toMatch(/closed/);
  });
});

describe('bad input at call time', () => {
  it('a hash-key function that throws fails only that call, with INTERNAL', async () => {
    const hashKey = (metadata: { get(key: string): string | undefined }) => {
      const user = metadata.get('x-user');
      if (user === 'boom') throw new Error('cannot hash this user');
      return user;
    };
    const channel = track(
      createBalancedChannel({
        service: 'echo',
        source: asEndpoints(servers),
        policy: 'maglev',
        logger: silent,
        policyOptions: { hashKey },
      }),
    );
    const client = createClient(EchoServiceDefinition, channel);
    const error = await errorOf(client.echo({ message: 'x' }, { metadata: Metadata({ 'x-user': 'boom' }) }));
    expect(error.code).toBe(Status.INTERNAL);
    expect(error.details).toMatch(/echo: the balancer's picker threw/);
    expect((await client.echo({ message: 'x' }, { metadata: Metadata({ 'x-user': 'ok' }) })).replica).toBeTruthy();
  });

  it('a health view that throws is treated as all eligible rather than stopping calls', async () => {
    const health: HealthView = {
      eligible: () => {
        throw new Error('detector bug');
      },
      onChange: () => () => {},
    };
    const client = createClient(
      EchoServiceDefinition,
      track(createBalancedChannel({ service: 'echo', source: asEndpoints(servers), health, logger: silent })),
    );
    expect((await client.echo({ message: 'x' })).message).toBe('x');
  });
});

describe('a crashed replica (SIGKILL)', () => {
  it('peak-EWMA with retries moves traffic off it and every call still succeeds', async () => {
    const child = await spawnEchoReplica('dead', { startTimeoutMs: 40_000 });
    replicas.push(child);
    const outcomes: CallOutcome[] = [];
    const source = [...asEndpoints(servers.slice(0, 2)), { id: 'dead', address: child.address }];
    const channel = track(createBalancedChannel({ service: 'echo', source, onOutcome: (o) => outcomes.push(o) }));
    const client = createClientFactory()
      .use(retryMiddleware)
      .create(EchoServiceDefinition, channel, {
        '*': { retry: true, retryMaxAttempts: 3, retryBaseDelayMs: 1, retryMaxDelayMs: 5 },
      });
    const servedByChild = () => outcomes.some((o) => o.endpointId === 'dead' && o.code === 0);
    for (let i = 0; i < 300 && !servedByChild(); i++) await client.echo({ message: 'warm' });
    expect(servedByChild()).toBe(true);
    await child.crash();
    outcomes.length = 0;
    for (let i = 0; i < 100; i++) expect((await client.echo({ message: 'x' })).replica).not.toBe('dead');
    const onDead = outcomes.filter((o) => o.endpointId === 'dead');
    expect(onDead.every((o) => o.code !== 0)).toBe(true);
    expect(onDead.length).toBeLessThan(15);
  }, 60_000);
});
