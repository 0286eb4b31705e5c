import { CALL_CONTEXT, CallContext, ManualClock, seededRandom, type CallOutcome, type Endpoint } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { ClientError, Metadata, Status, createClient, createClientFactory, waitForChannelReady } from 'nice-grpc';
import { connectivityState } from '@grpc/grpc-js';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  balancedUnary,
  createBalancedChannel,
  type BalancedChannel,
  type BalancedChannelOptions,
} from '../src/index.js';
import { startRecordingServer, type RecordingServer } from './fixtures.js';

let servers: RecordingServer[] = [];
let channels: BalancedChannel[] = [];

beforeEach(async () => {
  servers = await Promise.all(['a', 'b', 'c'].map(startRecordingServer));
});

afterEach(async () => {
  for (const channel of channels) channel.close();
  channels = [];
  for (const server of servers) server.kill();
});

function open(options: Partial<BalancedChannelOptions> = {}): BalancedChannel {
  const channel = createBalancedChannel({
    service: 'echo',
    source: servers.map((s) => ({ id: s.replica, address: s.address })),
    random: seededRandom(7),
    ...options,
  });
  channels.push(channel);
  return channel;
}

const echoCounts = () => Object.fromEntries(servers.map((s) => [s.replica, s.counters.echo]));

describe('balanced channel over 3 real servers', () => {
  it('round-robin spreads calls exactly and reports the serving endpoint in process, not in a trailer', async () => {
    let last: CallOutcome | undefined;
    const client = createClient(EchoServiceDefinition, open({ policy: 'round-robin', onOutcome: (o) => (last = o) }));
    const served: string[] = [];
    for (let i = 0; i < 30; i++) {
      const trailerKeys: string[] = [];
      const response = await client.echo(
        { message: `m${i}` },
        { onTrailer: (t) => trailerKeys.push(...[...t].map(([key]) => key)) },
      );
      expect(last).toMatchObject({ endpointId: response.replica, code: Status.OK, signal: 'ok' });
      expect(trailerKeys.filter((key) => key.startsWith('ballast-'))).toEqual([]);
      served.push(response.replica);
    }
    expect(echoCounts()).toEqual({ a: 10, b: 10, c: 10 });
    expect(served.slice(3, 6)).toEqual(served.slice(0, 3));
    const stats = channels[0]!.stats();
    expect(stats.map((s) => [s.id, s.picks, s.inFlight, s.eligible])).toEqual([
      ['a', 10, 0, true],
      ['b', 10, 0, true],
      ['c', 10, 0, true],
    ]);
    expect(stats.every((s) => s.connectivity === 'READY')).toBe(true);
  });

  it.each(['random', 'least-request', 'peak-ewma', 'weighted-round-robin'])(
    '%s reaches every endpoint',
    async (policy) => {
      const client = createClient(EchoServiceDefinition, open({ policy }));
      await Promise.all(Array.from({ length: 60 }, (_, i) => client.echo({ message: `m${i}` })));
      const counts = echoCounts();
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(60);
      for (const count of Object.values(counts)) expect(count).toBeGreaterThan(0);
    },
  );

  it('peak-ewma (the default) sends little to a replica that answers 50 ms slower', async () => {
    servers[0]!.behaviour.delayMs = 50;
    const client = createClient(EchoServiceDefinition, open());
    for (let i = 0; i < 60; i++) await client.echo({ message: `m${i}` });
    const counts = echoCounts();
    expect(counts.a).toBeLessThan(10);
    expect(counts.b! + counts.c!).toBeGreaterThan(50);
  });

  it("a call's context carries the policy's latency estimates: the slow replica reads slow", async () => {
    servers[0]!.behaviour.delayMs = 50;
    const channel = open();
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .create(EchoServiceDefinition, channel);
    let context = new CallContext('/ballast.testing.v1.EchoService/Echo');
    for (let i = 0; i < 30; i++) {
      context = new CallContext('/ballast.testing.v1.EchoService/Echo');
      await client.echo({ message: `m${i}` }, { [CALL_CONTEXT]: context });
    }
    const estimates = context.estimates!;
    expect(estimates.of('a')).toBeGreaterThanOrEqual(50);
    expect(estimates.bestExcept(new Set(['a']))).toBeLessThan(25);
    expect(estimates.bestExcept(new Set(['a', 'b', 'c']))).toBeUndefined();
    // A policy that keeps no latency gives none.
    const randomChannel = open({ policy: 'random' });
    const random = createClientFactory()
      .use(balancedUnary(randomChannel, EchoServiceDefinition))
      .create(EchoServiceDefinition, randomChannel);
    const other = new CallContext('/ballast.testing.v1.EchoService/Echo');
    await random.echo({ message: 'x' }, { [CALL_CONTEXT]: other });
    expect(other.estimates).toBeUndefined();
  });

  it('ring-hash keeps a key on one endpoint and spreads different keys', async () => {
    const client = createClient(
      EchoServiceDefinition,
      open({ policy: 'ring-hash', policyOptions: { hashKey: { header: 'x-user' } } }),
    );
    const replicaOf = async (user: string) =>
      (await client.echo({ message: user }, { metadata: Metadata({ 'x-user': user }) })).replica;
    const first = await replicaOf('alice');
    for (let i = 0; i < 10; i++) expect(await replicaOf('alice')).toBe(first);
    const spread = new Set(await Promise.all(Array.from({ length: 40 }, (_, i) => replicaOf(`user-${i}`))));
    expect(spread.size).toBe(3);
  });

  it('a call context steers the pick: endpoints it failed on are avoided; the wait-for-ready key never reaches the wire', async () => {
    const channel = open({ policy: 'random' });
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .create(EchoServiceDefinition, channel);
    const metadata = Metadata({ 'ballast-wait-for-ready': 'true', 'x-keep': 'yes' });
    for (let i = 0; i < 12; i++) {
      const context = new CallContext('/ballast.testing.v1.EchoService/Echo');
      for (const id of ['a', 'b']) Object.assign(context.begin(id), { code: 14, signal: 'endpoint-failing' });
      expect((await client.echo({ message: 'x' }, { metadata, [CALL_CONTEXT]: context })).replica).toBe('c');
      expect(context.attempts.map((a) => [a.endpointId, a.signal])).toEqual([
        ['a', 'endpoint-failing'],
        ['b', 'endpoint-failing'],
        ['c', 'ok'],
      ]);
    }
    const keys = servers.flatMap((s) => s.seenKeys);
    expect(keys).toHaveLength(12);
    for (const seen of keys) {
      expect(seen).toContain('x-keep');
      expect(seen.filter((key) => key.startsWith('ballast-'))).toEqual([]);
    }
  });

  it('keeps concurrent attempts of one call (one shared context) on distinct endpoints', async () => {
    const channel = open({ policy: 'random' });
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .create(EchoServiceDefinition, channel);
    for (let round = 0; round < 10; round++) {
      const context = new CallContext('/ballast.testing.v1.EchoService/Echo');
      const answers = await Promise.all(
        [0, 1, 2].map(() => client.echo({ message: 'x', delayMs: 30 }, { [CALL_CONTEXT]: context })),
      );
      expect(new Set(answers.map((a) => a.replica)).size).toBe(3);
    }
  });

  it('a view that admits attempts one by one (half-open breakers) sends refused picks elsewhere', async () => {
    const asked: string[] = [];
    const health = {
      eligible: (endpoints: readonly Endpoint[]) => endpoints,
      onChange: () => () => {},
      admit: (id: string) => (asked.push(id), id !== 'a'),
    };
    const client = createClient(EchoServiceDefinition, open({ policy: 'round-robin', health }));
    for (let i = 0; i < 9; i++) expect((await client.echo({ message: 'x' })).replica).not.toBe('a');
    expect(asked).toContain('a');
    expect(servers[0]!.counters.echo).toBe(0);
    expect(channels[0]!.stats().map((s) => s.inFlight)).toEqual([0, 0, 0]);
  });

  it('retries through nice-grpc-client-middleware-retry land on another endpoint', async () => {
    servers[0]!.behaviour.failRate = 1;
    const outcomes: CallOutcome[] = [];
    const channel = open({ policy: 'round-robin', onOutcome: (o) => outcomes.push(o) });
    const client = createClientFactory()
      .use(retryMiddleware)
      .create(EchoServiceDefinition, channel, {
        '*': { retry: true, retryMaxAttempts: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 5 },
      });
    for (let i = 0; i < 12; i++) expect((await client.echo({ message: 'x' })).replica).not.toBe('a');
    const failed = outcomes.filter((o) => o.code === Status.UNAVAILABLE);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((o) => o.endpointId === 'a')).toBe(true);
    for (let i = 0; i < outcomes.length - 1; i++) {
      if (outcomes[i]!.code !== 0) expect(outcomes[i + 1]!.endpointId).not.toBe(outcomes[i]!.endpointId);
    }
  });

  it('reports every attempt with its code, signal, latency, method and parsed load', async () => {
    servers[1]!.load = { cpuUtilization: 0.5, rpsFractional: 20 };
    servers[1]!.behaviour.failRate = 1;
    const outcomes: CallOutcome[] = [];
    const client = createClient(
      EchoServiceDefinition,
      open({ policy: 'round-robin', onOutcome: [(o) => outcomes.push(o)] }),
    );
    for (let i = 0; i < 3; i++) {
      await client.echo({ message: 'x' }).catch((error: unknown) => expect(error).toBeInstanceOf(ClientError));
    }
    expect(outcomes.map((o) => o.endpointId).sort()).toEqual(['a', 'b', 'c']);
    const b = outcomes.find((o) => o.endpointId === 'b')!;
    expect(b).toMatchObject({
      code: Status.UNAVAILABLE,
      signal: 'endpoint-failing',
      method: '/ballast.testing.v1.EchoService/Echo',
      load: { cpuUtilization: 0.5, rpsFractional: 20 },
    });
    expect(b.latencyMs).toBeGreaterThanOrEqual(0);
    expect(outcomes.filter((o) => o.code === 0)).toHaveLength(2);
  });

  it("an outcome listener that throws fails no call, the other listeners still hear it, and the caller's logger says so", async () => {
    const records: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line)) });
    const heard: string[] = [];
    const throwing = () => {
      throw new Error('listener bug');
    };
    const client = createClient(
      EchoServiceDefinition,
      open({ policy: 'round-robin', logger, onOutcome: [throwing, (o) => heard.push(o.endpointId)] }),
    );
    for (let i = 0; i < 3; i++) expect((await client.echo({ message: 'x' })).message).toBe('x');
    expect(heard.sort()).toEqual(['a', 'b', 'c']);
    const thrown = records.filter((r) => r.event === 'call outcome');
    expect(thrown).toHaveLength(3);
    expect(thrown[0]).toMatchObject({ component: 'ballast.balancer.channel', service: 'echo', level: 50 });
    expect((thrown[0]!.err as { message: string }).message).toBe('listener bug');
  });

  it('weighted-by-load follows the ORCA load reports servers send in trailers', async () => {
    const clock = new ManualClock(0);
    servers[0]!.load = { cpuUtilization: 0.9, rpsFractional: 90 };
    servers[1]!.load = { cpuUtilization: 0.1, rpsFractional: 90 };
    servers[2]!.load = { cpuUtilization: 0.1, rpsFractional: 90 };
    const channel = open({
      policy: 'weighted-by-load',
      clock,
      policyOptions: { blackoutMs: 0, weightUpdatePeriodMs: 100 },
    });
    const client = createClient(EchoServiceDefinition, channel);
    for (let i = 0; i < 3; i++) await client.echo({ message: 'x' });
    expect(echoCounts()).toEqual({ a: 1, b: 1, c: 1 });
    clock.advance(200);
    await client.echo({ message: 'report' });
    const before = echoCounts();
    for (let i = 0; i < 19; i++) await client.echo({ message: 'x' });
    const after = echoCounts();
    // weights 100 : 900 : 900, so a gets 1 of every 19 calls.
    expect(after.a! - before.a!).toBe(1);
    expect(after.b! - before.b!).toBe(9);
  });

  it("nice-grpc's waitForChannelReady connects the endpoints and resolves", async () => {
    const channel = open();
    expect(channel.getConnectivityState(false)).toBe(connectivityState.IDLE);
    await waitForChannelReady(channel, new Date(Date.now() + 20_000));
    expect(channel.getConnectivityState(false)).toBe(connectivityState.READY);
  });

  it('works for server-streaming calls', async () => {
    let served: string | undefined;
    const client = createClient(
      EchoServiceDefinition,
      open({ policy: 'round-robin', onOutcome: (o) => (served = o.endpointId) }),
    );
    const seen: number[] = [];
    for await (const item of client.count({ count: 5 })) {
      seen.push(item.n);
      expect(item.replica).toBeTruthy();
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(['a', 'b', 'c']).toContain(served);
  });
});
