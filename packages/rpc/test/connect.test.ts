import { MemoryStore } from '@ballast/config';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { Status } from 'nice-grpc';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, connection, disconnect, serve, service } from '../src/index.js';

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

/** Sends `total` calls, `concurrency` at a time; `during(i)` runs before call i. Returns failures. */
async function load(
  total: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
  during?: (i: number) => unknown,
) {
  let next = 0;
  const failures: unknown[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await during?.(i);
        await call(i).catch((error: unknown) => failures.push(error));
      }
    }),
  );
  return failures;
}

describe('connect() over static endpoints', () => {
  it("logs through the caller's logger: one child per part, named ballast.<package>.<part>, bound to the client", async () => {
    const records: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line)) });
    const { handle } = await replica('a');
    const client = connect(EchoServiceDefinition, {
      endpoints: [{ id: 'a', address: handle.address }],
      healthCheck: false,
      logger,
    });
    expect((await client.echo({ message: 'x' })).replica).toBe('a');
    await disconnect(client);
    const components = new Set(records.map((r) => r.component));
    for (const part of ['ballast.rpc.connect', 'ballast.balancer.channel', 'ballast.balancer.endpoint-table']) {
      expect(components).toContain(part);
    }
    // Every record is a part's child of the caller's logger, never a root of its own.
    expect(records.filter((r) => typeof r.component !== 'string' || r.name !== undefined)).toEqual([]);
    expect(records.every((r) => r.client === 'ballast.testing.v1.EchoService')).toBe(true);
  });

  it('spreads calls over the replicas and reports which served', async () => {
    const replicas = await Promise.all(['a', 'b', 'c'].map((n) => replica(n)));
    const client = connect(EchoServiceDefinition, {
      endpoints: replicas.map((r) => ({ id: r.handle.instanceId, address: r.handle.address })),
      balancer: 'round-robin',
    });
    cleanup.push(() => disconnect(client));
    const served = new Set<string>();
    for (let i = 0; i < 9; i++) served.add((await client.echo({ message: String(i) })).replica);
    expect([...served].sort()).toEqual(['a', 'b', 'c']);
    expect(connection(client)?.channels).toHaveLength(1);
  });

  it('loses no idempotent call when a discovered replica stops abruptly under load', async () => {
    const store = new MemoryStore();
    cleanup.push(() => store.close());
    const replicas = await Promise.all(['a', 'b', 'c'].map((n) => replica(n, { drainTimeoutMs: 0, store })));
    const client = connect(EchoServiceDefinition, { discover: 'echo', store });
    cleanup.push(() => disconnect(client));
    const failures = await load(
      600,
      16,
      () => client.echo({ message: 'x', delayMs: 2 }),
      (i) => {
        if (i === 200) replicas[0]!.handle.server.forceShutdown();
      },
    );
    expect(failures.map(String)).toEqual([]);
    const before = replicas[0]!.counters.echo;
    await load(60, 4, () => client.echo({ message: 'after' }));
    expect(replicas[0]!.counters.echo).toBe(before);
  });

  it('does not retry a non-idempotent method', async () => {
    const { handle, behaviour, counters } = await replica('a');
    behaviour.failRate = 1;
    const client = connect(EchoServiceDefinition, { endpoints: [handle.address], outlierDetection: false });
    cleanup.push(() => disconnect(client));
    await expect(client.write({ key: 'k', value: 'v' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(counters.write).toBe(1);
    await expect(client.echo({ message: 'e' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(counters.echo).toBeGreaterThan(1);
  });

  it('applies per-method overrides: a deadline for one method, retries for a non-idempotent one', async () => {
    const { handle, behaviour, counters } = await replica('a');
    const client = connect(EchoServiceDefinition, {
      endpoints: [handle.address],
      outlierDetection: false,
      methods: { echo: { deadlineMs: 100 }, write: { retry: true, maxRetries: 1 } },
    });
    cleanup.push(() => disconnect(client));
    await expect(client.echo({ message: 'slow', delayMs: 1_000 })).rejects.toMatchObject({
      code: Status.DEADLINE_EXCEEDED,
    });
    behaviour.failRate = 1;
    await expect(client.write({ key: 'k', value: 'v' })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(counters.write).toBe(2);
  });

  it('rejects bad options naming the field', () => {
    expect(() => connect(EchoServiceDefinition, {})).toThrow(/option "endpoints"/);
    expect(() => connect(EchoServiceDefinition, { discover: 'echo' })).toThrow(/option "store"/);
    expect(() => connect(EchoServiceDefinition, { endpoints: ['h:1'], methods: { nope: {} } })).toThrow(
      /option "methods.nope"/,
    );
    expect(() => connect(EchoServiceDefinition, { endpoints: ['h:1'], balancer: 'no-such-policy' })).toThrow(
      /no-such-policy/,
    );
    expect(() => connect(EchoServiceDefinition, { endpoints: ['h:1'], deadlineMs: 0 })).toThrow(
      /connect\(\): option "deadlineMs" is 0 \(.*\): allowed values are a number > 0 \(default 5000\)/,
    );
    expect(() =>
      connect(EchoServiceDefinition, { endpoints: ['h:1'], balancerOptions: { tableSize: 7 } as never }),
    ).toThrow(/"policyOptions\.tableSize" is not an option of policy "peak-ewma" \(policy "maglev" takes it\)/);
  });
});

describe('connect() with discovery on the embedded store', () => {
  it('finds registered replicas, follows a new one, and drops a closed one', async () => {
    const store = new MemoryStore();
    cleanup.push(() => store.close());
    const a = await replica('a', { store });
    const client = connect(EchoServiceDefinition, { discover: 'echo', store, balancer: 'round-robin' });
    cleanup.push(() => disconnect(client));
    expect((await client.echo({ message: 'first' })).replica).toBe('a');

    const b = await replica('b', { store });
    await expect.poll(async () => (await client.echo({ message: 'm' })).replica, { timeout: 5000 }).toBe('b');

    await a.handle.close();
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add((await client.echo({ message: 'z' })).replica);
    expect([...after]).toEqual(['b']);
    expect(b.counters.echo).toBeGreaterThan(0);
  });
});
