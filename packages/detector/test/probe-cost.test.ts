import { StaticEndpointSource } from '@ballast/core';
import { delay } from '@ballast/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDetector } from '../src/index.js';
import { countingHealthServer } from './helpers.js';

// What on-silence probing costs a server: Checks arrive only while the connection is silent.
describe('on-silence probing cost', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('an idle connection gets one Check per idleIntervalMs; one answering calls gets none', async () => {
    const health = await countingHealthServer();
    const port = health.port;
    cleanups.push(() => health.server.forceShutdown());
    let inFlight = 0;
    const source = new StaticEndpointSource([{ id: 'q', address: `127.0.0.1:${port}` }]);
    const detector = createDetector({
      source,
      heartbeat: { intervalMs: 100, idleIntervalMs: 400 },
      inFlight: () => inFlight,
      outlier: false,
      metrics: false,
    });
    cleanups.push(() => detector.close());
    await vi.waitFor(() => expect(health.checks).toBeGreaterThanOrEqual(1), { timeout: 10_000 });

    // Idle for a 2 s window: ≈ 5 Checks (polling every 100 ms would be 20).
    const idleStart = health.checks;
    await delay(2_000);
    const idle = health.checks - idleStart;
    expect(idle).toBeGreaterThanOrEqual(3);
    expect(idle).toBeLessThanOrEqual(7);

    // Calls waiting and answered every 50 ms for 2 s: the answers prove liveness, no Check is sent.
    inFlight = 1;
    const busyStart = health.checks;
    const method = '/ballast.testing.v1.EchoService/Echo';
    for (let i = 0; i < 40; i++) {
      detector.record({ endpointId: 'q', code: 0, signal: 'ok', latencyMs: 1, method });
      await delay(50);
    }
    expect(health.checks - busyStart).toBeLessThanOrEqual(1);
    expect(detector.state('q')).toEqual({ type: 'up' });
  });
});
