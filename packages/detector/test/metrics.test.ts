import { StaticEndpointSource } from '@ballast/core';
import { startEchoServer } from '@ballast/testing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDetector, createDetectorMetrics, serveMetrics } from '../src/index.js';

describe('metrics', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('exposes endpoint state, ejections, phi, heartbeat RTT, picks and RPC metrics on 127.0.0.1 /metrics', async () => {
    const echo = await startEchoServer({ replica: 'm0' });
    cleanups.push(() => echo.kill());
    const registry = new Registry();
    const metrics = createDetectorMetrics(registry);
    expect(createDetectorMetrics(registry).picks).toBe(metrics.picks);
    const source = new StaticEndpointSource([
      { id: 'm0', address: echo.address },
      { id: 'gone', address: '127.0.0.1:1' },
    ]);
    const detector = createDetector({
      source,
      target: 'echo',
      metrics,
      heartbeat: { intervalMs: 100 },
      outlier: { consecutiveGatewayFailure: { threshold: 1 }, maxEjectionPercent: 100 },
    });
    cleanups.push(() => detector.close());
    detector.record({ endpointId: 'm0', code: 0, signal: 'ok', latencyMs: 1, method: '/x/Y' });
    detector.record({ endpointId: 'm0', code: 14, signal: 'endpoint-failing', latencyMs: 1, method: '/x/Y' });
    const server = await serveMetrics({ registries: [registry] });
    cleanups.push(() => server.close());
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);

    await vi.waitFor(
      async () => {
        const text = await (await fetch(`http://${server.address}/metrics`)).text();
        expect(text).toContain('ballast_endpoint_picks_total{endpoint="m0"} 2');
        expect(text).toContain(
          'ballast_endpoint_ejections_total{endpoint="m0",reason="consecutive-gateway-failure"} 1',
        );
        expect(text).toContain('ballast_endpoint_state{endpoint="gone",state="down:check-failed"} 1');
        expect(text).toMatch(/ballast_heartbeat_rtt_seconds_count\{endpoint="m0"\} [1-9]/);
        expect(text).toMatch(/ballast_endpoint_phi\{endpoint="m0"\} [0-9.e-]+/);
        expect(text).toContain('ballast_endpoints{target="echo"} 2');
        expect(text).toContain('ballast_panic_mode{target="echo"} 1');
      },
      { timeout: 15_000, interval: 100 },
    );
    expect((await fetch(`http://${server.address}/nope`)).status).toBe(404);
  });

  it('serves the shared registry and nice-grpc-prometheus RPC metrics by default', async () => {
    const shared = createDetectorMetrics();
    shared.panic.set({ target: 'metrics-test' }, 0);
    const server = await serveMetrics();
    cleanups.push(() => server.close());
    const text = await (await fetch(`http://${server.address}/metrics`)).text();
    expect(text).toContain('# HELP ballast_endpoint_state');
    expect(text).toContain('ballast_panic_mode{target="metrics-test"} 0');
    expect(text).toContain('grpc_client_handled_total');
    expect(text).toContain('grpc_server_handled_total');
  });
});
