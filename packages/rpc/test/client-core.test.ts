import { StaticEndpointSource, type Endpoint, type EndpointSource } from '@ballast/core';
import { BreakerOpenError } from '@ballast/recovery';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import {
  createEchoService,
  defaultBehaviour,
  makeTlsFixtures,
  spawnEchoReplica,
  type EchoReplica,
  type TlsFixtures,
} from '@ballast/testing';
import { Status } from 'nice-grpc';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, connection, disconnect, RpcOptionsError, serve, service } from '../src/index.js';

// Where the parts of a client meet: each test fails when the shared call context, the signal
// taxonomy or the shared endpoint table is taken away.

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function replica(name: string, options: Partial<Parameters<typeof serve>[0]> = {}) {
  const behaviour = defaultBehaviour();
  const counters = { echo: 0, write: 0, count: 0 };
  const handle = await serve({
    name: 'echo',
    instanceId: name,
    services: [service(EchoServiceDefinition, createEchoService(name, behaviour, counters))],
    handleSignals: false,
    metrics: false,
    ...options,
  });
  cleanup.push(() => handle.close());
  return { handle, behaviour, counters };
}

async function child(name: string): Promise<EchoReplica> {
  const r = await spawnEchoReplica(name);
  cleanup.push(() => r.stop());
  return r;
}

describe('client core: the parts of connect() meet in process', () => {
  it("a server's shedding moves work to the other replica and never ejects it", async () => {
    // Each replica takes 4 calls at once and refuses the rest with RESOURCE_EXHAUSTED + pushback.
    const replicas = await Promise.all(
      ['a', 'b'].map((n) => replica(n, { maxConcurrentCalls: 4, loadShedding: false })),
    );
    for (const r of replicas) r.behaviour.delayMs = 20;
    const client = connect(EchoServiceDefinition, {
      endpoints: replicas.map((r) => ({ id: r.handle.instanceId, address: r.handle.address })),
      outlierDetection: { consecutiveGatewayFailure: { threshold: 2 }, maxEjectionPercent: 100 },
      retry: { maxRetries: 5, budget: { ratio: 1, minPerSecond: 1000 } },
      deadlineMs: 20_000,
    });
    cleanup.push(() => disconnect(client));
    const detector = connection(client)!.detector!;
    const changes: string[] = [];
    detector.onEndpointStateChange((c) => changes.push(`${c.endpoint.id}:${c.current.type}`));
    const results = await Promise.allSettled(Array.from({ length: 24 }, () => client.echo({ message: 'x' })));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeLessThan(24);
    // Shedding happened (more demand than 8 slots) yet no replica was taken out for it.
    expect(changes).toEqual([]);
    expect(detector.states().map((s) => s.state.type)).toEqual(['up', 'up']);
    expect(replicas.every((r) => r.counters.echo > 0)).toBe(true);
  });

  it('a frozen replica (SIGSTOP) loses no idempotent call: its in-flight attempts move to the others', async () => {
    const replicas = await Promise.all(['f1', 'f2', 'f3'].map(child));
    const client = connect(EchoServiceDefinition, {
      endpoints: replicas.map((r) => ({ id: r.replica, address: r.address })),
      balancer: 'round-robin',
      healthCheck: { intervalMs: 100 },
      deadlineMs: 10_000,
    });
    cleanup.push(() => disconnect(client));
    // Warm every connection, so the freeze finds calls in flight on established streams.
    await Promise.all(Array.from({ length: 6 }, () => client.echo({ message: 'warm' })));
    const frozen = replicas[0]!;
    const started = performance.now();
    const calls = Array.from({ length: 12 }, () =>
      client.echo({ message: 'slow', delayMs: 400 }).then(() => performance.now() - started),
    );
    // Freeze once calls are in flight on the replica, so the freeze strands them.
    const entry = connection(client)!.table.get(frozen.replica)!;
    await vi.waitFor(() => expect(entry.inFlight).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    frozen.freeze();
    cleanup.push(() => frozen.thaw());
    const durations = await Promise.all(calls);
    // Without moving, the calls on the frozen replica wait for their 10 s deadline.
    expect(Math.max(...durations)).toBeLessThan(4_000);
    const state = connection(client)!.detector!.state(frozen.replica);
    expect(state?.type).toBe('down');
  });

  it('an attempt on a replica taken out stays there when its retry budget is spent, and its call succeeds', async () => {
    const replicas = [await replica('m1'), await replica('m2')];
    const client = connect(EchoServiceDefinition, {
      endpoints: replicas.map((r) => ({ id: r.handle.address, address: r.handle.address })),
      balancer: 'round-robin',
      healthCheck: { intervalMs: 50 },
      outlierDetection: false,
      // No retry can be paid for: moving the attempt would fail the call.
      retry: { budget: { ratio: 0, minPerSecond: 0 } },
      deadlineMs: 10_000,
    });
    cleanup.push(() => disconnect(client));
    const table = connection(client)!.table;
    // Long enough that the replica is taken out while the attempt still runs on it.
    const call = client.echo({ message: 'slow', delayMs: 2_000 });
    let busy: (typeof replicas)[number] | undefined;
    await vi.waitFor(
      () => {
        busy = replicas.find((r) => (table.get(r.handle.address)?.inFlight ?? 0) > 0);
        expect(busy).toBeDefined();
      },
      { timeout: 5_000, interval: 5 },
    );
    busy!.handle.health.setDependency('db', false);
    await vi.waitFor(() => expect(connection(client)!.detector!.state(busy!.handle.address)?.type).toBe('down'), {
      timeout: 5_000,
      interval: 5,
    });
    // Without the check, the move cancels the attempt and the call fails RetryBudgetExhausted.
    await expect(call).resolves.toMatchObject({ message: 'slow' });
    expect(busy!.counters.echo).toBe(1);
  });

  it('attempts moved at once share the retry budget: those it cannot pay for stay, and every call succeeds', async () => {
    const replicas = [await replica('p1'), await replica('p2')];
    const client = connect(EchoServiceDefinition, {
      endpoints: replicas.map((r) => ({ id: r.handle.address, address: r.handle.address })),
      balancer: 'round-robin',
      healthCheck: { intervalMs: 50 },
      outlierDetection: false,
      // Exactly one retry in the window (0.1/s × 10 s): one of the two moves can be re-issued.
      retry: { budget: { ratio: 0, minPerSecond: 0.1, windowMs: 10_000 } },
      deadlineMs: 10_000,
    });
    cleanup.push(() => disconnect(client));
    const table = connection(client)!.table;
    const calls = Array.from({ length: 4 }, () => client.echo({ message: 'slow', delayMs: 2_000 }));
    await vi.waitFor(() => expect(replicas.map((r) => table.get(r.handle.address)?.inFlight ?? 0)).toEqual([2, 2]), {
      timeout: 5_000,
      interval: 5,
    });
    const [out, other] = replicas as [(typeof replicas)[number], (typeof replicas)[number]];
    out.handle.health.setDependency('db', false);
    // Without paying at the move, both attempts move, and the second fails RetryBudgetExhausted.
    const results = await Promise.all(calls);
    expect(results.map((r) => r.message)).toEqual(['slow', 'slow', 'slow', 'slow']);
    expect([out.counters.echo, other.counters.echo]).toEqual([2, 3]);
  });

  describe('over TLS', () => {
    let tls: TlsFixtures;
    beforeAll(() => {
      tls = makeTlsFixtures();
    });
    afterAll(() => tls?.remove());

    it("health checks use the calls' connection and credentials, and still steer", async () => {
      const serverTls = { cert: tls.serverCert, key: tls.serverKey, ca: tls.ca };
      const replicas = await Promise.all(['t1', 't2'].map((n) => replica(n, { tls: serverTls })));
      const client = connect(EchoServiceDefinition, {
        endpoints: replicas.map((r) => ({ id: r.handle.instanceId, address: r.handle.address })),
        tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
        healthCheck: { intervalMs: 50 },
      });
      cleanup.push(() => disconnect(client));
      const detector = connection(client)!.detector!;
      await vi.waitFor(() => expect(detector.states().every((s) => s.lastRttMs !== undefined)).toBe(true), {
        timeout: 5_000,
        interval: 20,
      });
      expect(detector.states().map((s) => s.state.type)).toEqual(['up', 'up']);
      // The detector still tells a replica out of rotation from one in it.
      replicas[0]!.handle.health.setDependency('db', false);
      await vi.waitFor(() => expect(detector.state('t1')?.type).toBe('down'), { timeout: 5_000, interval: 20 });
      expect(detector.panicking()).toBe(false);
      for (let i = 0; i < 6; i++) expect((await client.echo({ message: 'x' })).replica).toBe('t2');
      // One connection per endpoint, shared by calls and checks.
      expect(
        connection(client)!
          .channels[0]!.stats()
          .map((s) => s.connectivity),
      ).toEqual(['READY', 'READY']);
    });
  });

  it('an open method breaker fails the call at once: no retry, no budget spent, nothing sent', async () => {
    const r = await replica('b1');
    r.behaviour.failRate = 1;
    const client = connect(EchoServiceDefinition, {
      endpoints: [{ id: 'b1', address: r.handle.address }],
      circuitBreaker: { breaker: { policy: { type: 'consecutive', failures: 2 }, openMs: 60_000 } },
      retry: { maxRetries: 2, backoff: { baseMs: 1, maxMs: 2 } },
      outlierDetection: false,
      healthCheck: false,
    });
    cleanup.push(() => disconnect(client));
    for (let i = 0; i < 2; i++)
      await expect(client.echo({ message: 'x' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    const budget = connection(client)!.retry!.budget!;
    const retries = budget.stats().retries;
    const served = r.counters.echo;
    const error = await client.echo({ message: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect(budget.stats().retries).toBe(retries);
    expect(r.counters.echo).toBe(served);
  });

  it('one picker rebuild per endpoint change; a source passed in stays open after disconnect()', async () => {
    const [a, b] = await Promise.all(['s1', 's2'].map((n) => replica(n)));
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const source = new StaticEndpointSource([{ id: 's1', address: a!.handle.address }]);
    let closed = 0;
    const passed: EndpointSource = {
      current: () => source.current(),
      subscribe: (listener: (endpoints: readonly Endpoint[]) => void) => source.subscribe(listener),
      close: () => void closed++,
    };
    const client = connect(EchoServiceDefinition, { endpoints: passed, logger, healthCheck: { intervalMs: 50 } });
    await client.echo({ message: 'x' });
    const rebuilds = () => lines.filter((line) => line.includes('"picker rebuilt"'));
    const before = rebuilds().length;
    source.set([
      { id: 's1', address: a!.handle.address },
      { id: 's2', address: b!.handle.address },
    ]);
    const after = rebuilds()
      .slice(before)
      .map((line) => JSON.parse(line) as { endpoints: number });
    expect(after.map((r) => r.endpoints)).toEqual([2]);
    await disconnect(client);
    expect(closed).toBe(0);
  });

  it('keepalive pings close the connection to a replica that stops answering, with no call and no health check', async () => {
    const frozen = await child('k1');
    const client = connect(EchoServiceDefinition, {
      endpoints: [{ id: 'k1', address: frozen.address }],
      keepalive: { timeMs: 1_000, timeoutMs: 1_000 },
      healthCheck: false,
      outlierDetection: false,
    });
    cleanup.push(() => disconnect(client));
    await client.echo({ message: 'connect' });
    const channel = connection(client)!.channels[0]!;
    expect(channel.stats()[0]!.connectivity).toBe('READY');
    frozen.freeze();
    cleanup.push(() => frozen.thaw());
    await vi.waitFor(() => expect(channel.stats()[0]!.connectivity).not.toBe('READY'), {
      timeout: 8_000,
      interval: 50,
    });
  });

  it('checks every option at connect(), naming the field', () => {
    const endpoints = ['127.0.0.1:1'];
    expect(() => connect(EchoServiceDefinition, { endpoints, circuitBreaker: { breaker: { openMs: -1 } } })).toThrow(
      /openMs/,
    );
    expect(() =>
      connect(EchoServiceDefinition, { endpoints, endpointBreakers: { breaker: { halfOpenProbes: 0 } } }),
    ).toThrow(/halfOpenProbes/);
    expect(() =>
      connect(EchoServiceDefinition, { endpoints, outlierDetection: { failureCodes: [Status.RESOURCE_EXHAUSTED] } }),
    ).toThrow(/RESOURCE_EXHAUSTED/);
    expect(() => connect(EchoServiceDefinition, { endpoints, retires: {} } as never)).toThrow(RpcOptionsError);
    expect(() => connect(EchoServiceDefinition, { endpoints, keepalive: { timeMs: 10 } })).toThrow(/keepalive\.timeMs/);
  });
});
