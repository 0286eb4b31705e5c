import type { RecordWithTtl, SrvRecord } from 'node:dns';
import { VirtualScheduler } from '@ballast/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DnsSource, type DnsResolution } from './dns-source.js';
import type { DnsResolver } from './dns-source-options.js';
import { parseDnsTarget } from './dns-target.js';

function fakeResolver() {
  const state = {
    a: new Map<string, RecordWithTtl[]>(),
    srv: new Map<string, SrvRecord[]>(),
    down: false,
    lookups: 0,
  };
  const fail = (code: string) => Object.assign(new Error(code), { code });
  const resolver: DnsResolver = {
    async resolve4(host) {
      state.lookups++;
      if (state.down) throw fail('ETIMEOUT');
      const records = state.a.get(host);
      if (!records) throw fail('ENOTFOUND');
      return records;
    },
    async resolve6() {
      if (state.down) throw fail('ETIMEOUT');
      throw fail('ENODATA');
    },
    async resolveSrv(name) {
      state.lookups++;
      if (state.down) throw fail('ETIMEOUT');
      return state.srv.get(name) ?? [];
    },
  };
  return { state, resolver };
}

function setup(target: string, options: { intervalMs?: number; minIntervalMs?: number } = {}) {
  const scheduler = new VirtualScheduler();
  const { state, resolver } = fakeResolver();
  const results: DnsResolution[] = [];
  const make = () => {
    const source = new DnsSource(target, { resolver, scheduler, registry: new Registry(), ...options });
    source.onResolution((r) => results.push(r));
    return source;
  };
  /** Resolves at the next resolution result. */
  const settled = async () => {
    const count = results.length;
    while (results.length === count) await Promise.resolve();
    return results.at(-1)!;
  };
  /** Checks that the next resolution starts exactly at `at` on the scheduler's time, not a millisecond sooner. */
  const resolvesAt = (at: number) => {
    const before = state.lookups;
    scheduler.advance(at - 1 - scheduler.now());
    expect(state.lookups, `no resolution before ${at} ms`).toBe(before);
    scheduler.advance(1);
    expect(state.lookups, `a resolution at ${at} ms`).toBe(before + 1);
  };
  return { scheduler, state, make, settled, resolvesAt, results };
}

describe('parseDnsTarget', () => {
  it('reads gRPC dns: targets, their authority and SRV names', () => {
    expect(parseDnsTarget('dns:///svc.ns:50051')).toEqual({ type: 'address', host: 'svc.ns', port: 50051 });
    expect(parseDnsTarget('dns://127.0.0.1:53/svc:1')).toEqual({
      type: 'address',
      host: 'svc',
      port: 1,
      server: '127.0.0.1:53',
    });
    expect(parseDnsTarget('dns:svc')).toEqual({ type: 'address', host: 'svc', port: 443 });
    expect(parseDnsTarget('dns:///[::1]:7')).toEqual({ type: 'address', host: '::1', port: 7 });
    expect(parseDnsTarget('dns:///_grpc._tcp.svc.ns')).toEqual({ type: 'srv', name: '_grpc._tcp.svc.ns' });
    expect(() => parseDnsTarget('dns:///svc:99999')).toThrow(/port "99999"/);
    expect(() => parseDnsTarget('dns:///')).toThrow(/names no host/);
  });
});

describe('DnsSource', () => {
  it('refuses an unknown or bad option, naming it', () => {
    const { resolver } = fakeResolver();
    expect(() => new DnsSource('dns:///svc:80', { resolver, timers: {} } as never)).toThrow(
      /DnsSource\.timers is not an option/,
    );
    expect(() => new DnsSource('dns:///svc:80', { resolver, intervalMs: 0 })).toThrow(/DnsSource\.intervalMs/);
    expect(() => new DnsSource('dns:///svc:80', { resolver, scheduler: { now: () => 0 } as never })).toThrow(
      /DnsSource\.scheduler .*expected a Scheduler/,
    );
  });

  it('re-resolves when the TTL runs out, within [minIntervalMs, intervalMs]', async () => {
    const t = setup('dns:///svc:80', { intervalMs: 30_000, minIntervalMs: 1_000 });
    t.state.a.set('svc', [{ address: '10.0.0.1', ttl: 5 }]);
    const source = t.make();
    await t.settled();
    expect(source.ready).toBe(true);
    expect(source.current()).toEqual([{ id: '10.0.0.1:80', address: '10.0.0.1:80' }]);
    t.state.a.set('svc', [
      { address: '10.0.0.2', ttl: 0 },
      { address: '10.0.0.1', ttl: 0 },
    ]);
    t.resolvesAt(5_000);
    await t.settled();
    expect(source.current().map((e) => e.id)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    // A TTL of 0 is clamped to the shortest interval.
    t.resolvesAt(6_000);
    await t.settled();
    source.close();
    expect(t.scheduler.pending).toBe(0);
  });

  it('keeps the last good answer while the resolver fails, counts it, and retries with backoff', async () => {
    const t = setup('dns:///svc:80', { intervalMs: 30_000, minIntervalMs: 1_000 });
    t.state.a.set('svc', [{ address: '10.0.0.1', ttl: 30 }]);
    const source = t.make();
    await t.settled();
    t.state.down = true;
    t.resolvesAt(30_000);
    const failed = await t.settled();
    expect(failed.type).toBe('failed');
    expect(source.current().map((e) => e.id)).toEqual(['10.0.0.1:80']);
    t.resolvesAt(31_000);
    await t.settled();
    t.state.down = false;
    t.resolvesAt(33_000);
    expect((await t.settled()).type).toBe('answered');
    source.close();
  });

  it('refresh() resolves at once, but never twice within minIntervalMs', async () => {
    const t = setup('dns:///svc:80', { intervalMs: 30_000, minIntervalMs: 1_000 });
    t.state.a.set('svc', [{ address: '10.0.0.1', ttl: 30 }]);
    const source = t.make();
    await t.settled();
    expect(t.state.lookups).toBe(1);
    source.refresh('a call failed');
    source.refresh('another call failed');
    t.resolvesAt(1_000);
    await t.settled();
    expect(t.state.lookups).toBe(2);
    t.scheduler.advance(5_000);
    source.refresh('a call failed');
    expect(t.state.lookups).toBe(3);
    await t.settled();
    source.close();
  });

  it('follows SRV records: the preferred priority, their ports and weights', async () => {
    const t = setup('dns:///_grpc._tcp.svc');
    t.state.srv.set('_grpc._tcp.svc', [
      { name: 'pod-a', port: 5001, priority: 10, weight: 3 },
      { name: 'pod-b', port: 5002, priority: 10, weight: 0 },
      { name: 'backup', port: 5003, priority: 20, weight: 1 },
    ]);
    t.state.a.set('pod-a', [{ address: '10.0.0.1', ttl: 10 }]);
    t.state.a.set('pod-b', [{ address: '10.0.0.2', ttl: 10 }]);
    const source = t.make();
    await t.settled();
    expect(source.current()).toEqual([
      { id: '10.0.0.1:5001', address: '10.0.0.1:5001', weight: 3 },
      { id: '10.0.0.2:5002', address: '10.0.0.2:5002', weight: 1 },
    ]);
    source.close();
  });

  it('resolves again every intervalMs when the answer carries no TTL', async () => {
    const t = setup('dns:///_grpc._tcp.svc', { intervalMs: 10_000, minIntervalMs: 1_000 });
    t.state.srv.set('_grpc._tcp.svc', [{ name: '10.0.0.9', port: 5001, priority: 1, weight: 1 }]);
    const source = t.make();
    await t.settled();
    expect(source.current().map((e) => e.id)).toEqual(['10.0.0.9:5001']);
    t.resolvesAt(10_000);
    await t.settled();
    t.resolvesAt(20_000);
    await t.settled();
    source.close();
    expect(t.scheduler.pending).toBe(0);
  });
});
