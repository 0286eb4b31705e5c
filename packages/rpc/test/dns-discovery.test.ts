import type { DnsResolution, DnsSource } from '@ballast/config';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, startDnsServer, type DnsServer } from '@ballast/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, connection, disconnect, serve, service } from '../src/index.js';

// DNS discovery against a real DNS server (dnsmasq) on a loopback port whose records change while
// the test runs, the way a Kubernetes headless Service's records change as pods come and go.
// Replicas listen on 127.0.0.2, 127.0.0.3… on one port, as pods of one Service do.

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function replica(host: string, port = 0) {
  const counters = { echo: 0, write: 0, count: 0 };
  const handle = await serve({
    name: 'echo',
    instanceId: host,
    host,
    port,
    services: [service(EchoServiceDefinition, createEchoService(host, defaultBehaviour(), counters))],
    handleSignals: false,
    metrics: false,
    drainTimeoutMs: 500,
  });
  cleanup.push(() => handle.close());
  return { handle, counters };
}

async function dnsServer(records: Record<string, string[]>, ttlSeconds = 1): Promise<DnsServer> {
  const dns = await startDnsServer({ records, ttlSeconds });
  cleanup.push(() => dns.stop());
  return dns;
}

/** The next resolution that satisfies `accept`, or a rejection after `timeoutMs`. */
function resolution(source: DnsSource, accept: (r: DnsResolution) => boolean, timeoutMs = 8_000) {
  return new Promise<DnsResolution>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching DNS resolution within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = source.onResolution((r) => {
      if (!accept(r)) return;
      clearTimeout(timer);
      stop();
      resolve(r);
    });
  });
}

const ids = (r: DnsResolution) => (r.type === 'answered' ? r.endpoints.map((e) => e.id) : []);

async function calls(client: ReturnType<typeof connect<typeof EchoServiceDefinition>>, n: number) {
  const replies = await Promise.all(Array.from({ length: n }, () => client.echo({ message: 'x' })));
  return replies.map((r) => r.replica);
}

describe('connect() with discover: "dns:…"', () => {
  it('follows the DNS answer: a new pod gets calls, a removed one stops, a dead resolver keeps the last answer', async () => {
    const a = await replica('127.0.0.2');
    const port = a.handle.port;
    await replica('127.0.0.3', port);
    const dns = await dnsServer({ 'echo.test': ['127.0.0.2'] });
    const client = connect(EchoServiceDefinition, {
      discover: `dns://${dns.address}/echo.test:${port}`,
      // Only the 1 s TTL of dnsmasq's answers drives re-resolution here.
      dns: { intervalMs: 60_000, minIntervalMs: 100 },
      balancer: 'round-robin',
    });
    cleanup.push(() => disconnect(client));
    const source = connection(client)!.source as DnsSource;

    expect(new Set(await calls(client, 10))).toEqual(new Set(['127.0.0.2']));

    // A new pod: its address joins the record; no restart of anything.
    const added = resolution(source, (r) => ids(r).length === 2);
    await dns.setRecords({ 'echo.test': ['127.0.0.2', '127.0.0.3'] });
    await added;
    const spread = await calls(client, 20);
    expect(spread.filter((r) => r === '127.0.0.3').length).toBeGreaterThan(0);
    expect(spread.filter((r) => r === '127.0.0.2').length).toBeGreaterThan(0);

    // The old pod leaves the record: it gets no more calls (it still runs and would answer).
    const removed = resolution(source, (r) => ids(r).length === 1);
    await dns.setRecords({ 'echo.test': ['127.0.0.3'] });
    expect(ids(await removed)).toEqual([`127.0.0.3:${port}`]);
    const before = a.counters.echo;
    expect(new Set(await calls(client, 20))).toEqual(new Set(['127.0.0.3']));
    expect(a.counters.echo).toBe(before);

    // The DNS server dies: resolutions fail, the last good answer stays, calls keep working.
    const failed = resolution(source, (r) => r.type === 'failed');
    await dns.kill();
    const failure = await failed;
    expect(failure.type === 'failed' && failure.kept.map((e) => e.id)).toEqual([`127.0.0.3:${port}`]);
    expect(new Set(await calls(client, 20))).toEqual(new Set(['127.0.0.3']));
    expect(source.current().map((e) => e.id)).toEqual([`127.0.0.3:${port}`]);
  });

  it.each([
    { trigger: 'a call fails on the old address', healthCheck: false as const },
    { trigger: 'health checks take the old address out', healthCheck: undefined },
  ])('asks DNS again when $trigger, long before the TTL or the interval', async ({ healthCheck }) => {
    const a = await replica('127.0.0.2');
    const port = a.handle.port;
    const b = await replica('127.0.0.3', port);
    // An hour of TTL and of interval: only a connection failure can make the client ask again.
    const dns = await dnsServer({ 'echo.test': ['127.0.0.2'] }, 3600);
    const client = connect(EchoServiceDefinition, {
      discover: `dns://${dns.address}/echo.test:${port}`,
      dns: { intervalMs: 3_600_000, minIntervalMs: 100 },
      retry: { maxRetries: 0 },
      healthCheck,
    });
    cleanup.push(() => disconnect(client));
    const source = connection(client)!.source as DnsSource;
    expect(await calls(client, 3)).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.2']);

    // The pod is replaced: the record moves to the new address and the old process ends.
    await dns.setRecords({ 'echo.test': ['127.0.0.3'] });
    const moved = resolution(source, (r) => ids(r)[0] === `127.0.0.3:${port}`);
    await a.handle.close();
    // Without health checks, the first call fails on the dead address and that failure makes
    // the client ask DNS again; with them, the replica's NOT_SERVING already did.
    if (healthCheck === false) await client.echo({ message: 'x' }).catch(() => undefined);
    await moved;
    expect(new Set(await calls(client, 5))).toEqual(new Set(['127.0.0.3']));
    expect(b.counters.echo).toBe(5);
  });
});
