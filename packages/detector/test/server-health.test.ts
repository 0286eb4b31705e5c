import { StaticEndpointSource } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/testing';
import { createChannel, createClient, createServer } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createDetector,
  createServerHealth,
  LIVENESS_SERVICE,
  READINESS_SERVICE,
  ServingStatus,
} from '../src/index.js';
import { waitForChange } from './helpers.js';

describe('server health: liveness vs readiness', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serve() {
    const health = createServerHealth({ services: [EchoServiceDefinition.fullName] });
    const server = createServer();
    server.add(HealthDefinition, health.implementation);
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
    const channel = createChannel(`127.0.0.1:${port}`);
    cleanups.push(() => channel.close());
    const client = createClient(HealthDefinition, channel);
    const status = async (service: string) => (await client.check({ service })).status as number;
    const all = async () => ({
      overall: await status(''),
      liveness: await status(LIVENESS_SERVICE),
      readiness: await status(READINESS_SERVICE),
      echo: await status(EchoServiceDefinition.fullName),
    });
    return { health, address: `127.0.0.1:${port}`, all };
  }

  const { SERVING, NOT_SERVING } = ServingStatus;

  it('readiness goes NOT_SERVING while a dependency is down; liveness stays SERVING', async () => {
    const { health, all } = await serve();
    const seen: string[] = [];
    cleanups.push(health.onReadinessChange((r) => seen.push(r.type)));
    expect(await all()).toEqual({ overall: SERVING, liveness: SERVING, readiness: SERVING, echo: SERVING });
    health.setDependency('postgres', false);
    expect(health.readiness()).toEqual({ type: 'not-ready', draining: false, dependenciesDown: ['postgres'] });
    expect(await all()).toEqual({ overall: NOT_SERVING, liveness: SERVING, readiness: NOT_SERVING, echo: NOT_SERVING });
    health.setDependency('postgres', true);
    expect(await all()).toEqual({ overall: SERVING, liveness: SERVING, readiness: SERVING, echo: SERVING });
    expect(seen).toEqual(['not-ready', 'ready']);
  });

  it("serves many Watch streams (one per client) without tripping Node's listener-leak warning", async () => {
    const { health, address } = await serve();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    const channel = createChannel(address);
    cleanups.push(() => channel.close());
    const client = createClient(HealthDefinition, channel);
    // Each stream reports its first status, then the NOT_SERVING the dependency change brings.
    const streams = Array.from({ length: 16 }, async () => {
      const abort = new AbortController();
      cleanups.push(() => abort.abort());
      const seen: number[] = [];
      for await (const { status } of client.watch({ service: '' }, { signal: abort.signal })) {
        seen.push(status as number);
        if (seen.length === 2) return seen;
      }
      return seen;
    });
    await vi.waitFor(() => expect(health.state.listenerCount('change')).toBe(16), { timeout: 5_000 });
    health.setDependency('postgres', false);
    expect(await Promise.all(streams)).toEqual(Array.from({ length: 16 }, () => [SERVING, NOT_SERVING]));
    // process 'warning' events arrive on a later tick than the listener that caused them.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('a single service can be taken out on its own', async () => {
    const { health, all } = await serve();
    health.setServiceEnabled(EchoServiceDefinition.fullName, false);
    expect(await all()).toEqual({ overall: SERVING, liveness: SERVING, readiness: SERVING, echo: NOT_SERVING });
  });

  it('draining flips readiness for good, and a client detector stops picking the server', async () => {
    const { health, address, all } = await serve();
    const source = new StaticEndpointSource([
      { id: 'draining', address },
      { id: 'other', address },
    ]);
    const detector = createDetector({ source, heartbeat: { intervalMs: 100 }, outlier: false, metrics: false });
    cleanups.push(() => detector.close());
    const down = waitForChange(detector, 'draining', (s) => s.type === 'down');
    health.startDraining();
    health.setDependency('postgres', true);
    expect((await down).reason).toBe('not-serving');
    expect(await all()).toMatchObject({ overall: NOT_SERVING, readiness: NOT_SERVING, liveness: SERVING });
  });
});
