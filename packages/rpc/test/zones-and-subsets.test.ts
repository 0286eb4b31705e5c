import { MemoryStore, discover } from '@ballast/config';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, connection, disconnect, RpcOptionsError, serve, service } from '../src/index.js';

// Twelve replicas in three zones: zone a's four are child processes (really killed), zones b and
// c serve in process. A client in zone a with a subset of 4 talks only to its subset, keeps its
// calls in zone a, and loses no idempotent call when zone a dies.

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function inProcess(name: string, zone: string, store?: MemoryStore) {
  const handle = await serve({
    name: 'echo',
    instanceId: name,
    zone,
    store,
    services: [
      service(EchoServiceDefinition, createEchoService(name, defaultBehaviour(), { echo: 0, write: 0, count: 0 })),
    ],
    handleSignals: false,
    metrics: false,
  });
  cleanup.push(() => handle.close());
  return { id: name, address: handle.address, zone };
}

async function child(name: string): Promise<EchoReplica> {
  const replica = await spawnEchoReplica(name);
  cleanup.push(() => replica.stop());
  return replica;
}

describe('subsets and zones over real replicas', () => {
  it(
    'connects only to its subset, stays in its zone, and fails over to the others with no failed call',
    { timeout: 120_000 },
    async () => {
      const zoneA = await Promise.all(['a0', 'a1', 'a2', 'a3'].map(child));
      const others = await Promise.all(
        ['b0', 'b1', 'b2', 'b3', 'c0', 'c1', 'c2', 'c3'].map((name) => inProcess(name, name[0]!)),
      );
      const endpoints = [...zoneA.map((r) => ({ id: r.replica, address: r.address, zone: 'a' })), ...others];
      const client = connect(EchoServiceDefinition, {
        endpoints,
        zone: 'a',
        subset: { size: 4, clientId: 'client-1' },
        healthCheck: { intervalMs: 100 },
        retry: { maxRetries: 3, budget: { ratio: 1, minPerSecond: 1_000 } },
        deadlineMs: 10_000,
      });
      cleanup.push(() => disconnect(client));
      const parts = connection(client)!;

      const served = new Map<string, number>();
      // Calls in waves of 10 at once: steady load on one event loop shared with eight servers.
      const calls = async (n: number) => {
        let failed = 0;
        for (let sent = 0; sent < n; sent += 10) {
          const results = await Promise.allSettled(
            Array.from({ length: Math.min(10, n - sent) }, (_, i) => client.echo({ message: `m${sent + i}` })),
          );
          for (const result of results) {
            if (result.status === 'rejected') failed++;
            else served.set(result.value.replica, (served.get(result.value.replica) ?? 0) + 1);
          }
        }
        return failed;
      };
      expect(await calls(200)).toBe(0);

      // Three members from zone a and one standby elsewhere: the only connections and health checks.
      const members = [...parts.table.entries()].map((e) => e.endpoint);
      expect(members).toHaveLength(4);
      expect(members.filter((e) => e.zone === 'a')).toHaveLength(3);
      expect(
        parts
          .detector!.states()
          .map((s) => s.endpoint.id)
          .sort(),
      ).toEqual(members.map((e) => e.id).sort());
      const memberIds = new Set(members.map((e) => e.id));
      for (const id of served.keys()) expect(memberIds.has(id)).toBe(true);
      const inZoneA = [...served].filter(([id]) => id.startsWith('a')).reduce((sum, [, n]) => sum + n, 0);
      expect(inZoneA / 200).toBeGreaterThanOrEqual(0.95);

      // Zone a dies under load: every idempotent call still succeeds, on zones b and c.
      served.clear();
      const load = calls(300);
      await Promise.all(zoneA.map((r) => r.crash()));
      expect(await load).toBe(0);
      expect(await calls(200)).toBe(0);
      await vi.waitFor(
        () =>
          expect([...parts.table.entries()].filter((e) => e.endpoint.zone !== 'a').length).toBeGreaterThanOrEqual(4),
        { timeout: 10_000, interval: 50 },
      );
      served.clear();
      expect(await calls(100)).toBe(0);
      expect([...served.keys()].every((id) => !id.startsWith('a'))).toBe(true);
    },
  );

  it('registers the zone serve() is given, and connect() refuses bad subset, zone and slow-start options', async () => {
    const store = new MemoryStore();
    cleanup.push(() => store.close?.());
    await inProcess('z1', 'eu-west-1b', store);
    const source = await discover(store, 'echo');
    cleanup.push(() => source.close());
    expect(source.current().map((e) => e.zone)).toEqual(['eu-west-1b']);

    const base = { endpoints: ['127.0.0.1:1'] };
    const bad = (options: object) => () => connect(EchoServiceDefinition, { ...base, ...options });
    expect(bad({ subset: { size: 0 } })).toThrow(RpcOptionsError);
    expect(bad({ subset: { size: 0 } })).toThrow(/subset\.size/);
    expect(bad({ subset: { sise: 4 } })).toThrow(/subset.*unknown key "sise"/);
    expect(bad({ zone: '' })).toThrow(/"zone"/);
    expect(bad({ slowStart: { windowMs: -1 } })).toThrow(/slowStart\.windowMs/);
    expect(bad({ zones: 'a' })).toThrow(
      /option "zones" is not an option \(unknown key "zones"\): allowed values are the keys endpoints, discover,/,
    );
  });
});
