import { StaticEndpointSource } from '@ballast/core';
import { delay } from '@ballast/testing';
import { createServer, type Server } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDetector } from '../src/index.js';

// What on-silence probing costs a server: Checks arrive only while the connection is silent.
describe('on-silence probing cost', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('an idle connection gets one Check per idleIntervalMs; one answering calls gets none', async () => {
    let checks = 0;
    const server: Server = createServer();
    server.add(HealthDefinition, {
      check: async () => {
        checks++;
        return { status: 1 as never };
      },
      async *watch(_request, context) {
        yield { status: 1 as never };
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      },
    });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
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
    await vi.waitFor(() => expect(checks).toBeGreaterThanOrEqual(1), { timeout: 10_000 });

    // Idle for a 2 s window: ≈ 5 Checks (polling every 100 ms would be 20).
    const idleStart = checks;
    await delay(2_000);
    const idle = checks - idleStart;
    expect(idle).toBeGreaterThanOrEqual(3);
    expect(idle).toBeLessThanOrEqual(7);

    // Calls waiting and answered every 50 ms for 2 s: the answers prove liveness, no Check is sent.
    inFlight = 1;
    const busyStart = checks;
    const method = '/ballast.testing.v1.EchoService/Echo';
    for (let i = 0; i < 40; i++) {
      detector.record({ endpointId: 'q', code: 0, signal: 'ok', latencyMs: 1, method });
      await delay(50);
    }
    expect(checks - busyStart).toBeLessThanOrEqual(1);
    expect(detector.state('q')).toEqual({ type: 'up' });
  });
});
