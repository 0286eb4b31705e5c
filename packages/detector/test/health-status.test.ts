import { StaticEndpointSource } from '@ballast/core';
import { startEchoServer, type EchoServer } from '@ballast/testing';
import { createServer, ServerError, Status, type Server } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDetector, DetectorClosedError, type Detector } from '../src/index.js';
import { capturingLogger, countingHealthServer, echoClients, waitForChange } from './helpers.js';

describe('health status from grpc.health.v1', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function servers(count: number, health = true): Promise<EchoServer[]> {
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) => startEchoServer({ replica: `s${i}`, health })),
    );
    cleanups.push(() => Promise.all(started.map((s) => s.kill())));
    return started;
  }

  function detect(source: StaticEndpointSource, options: Partial<Parameters<typeof createDetector>[0]> = {}): Detector {
    const detector = createDetector({
      source,
      heartbeat: { intervalMs: 100 },
      outlier: false,
      metrics: false,
      ...options,
    });
    cleanups.push(() => detector.close());
    return detector;
  }

  it('a server whose health says NOT_SERVING stops getting picks, and gets them again when SERVING', async () => {
    const echo = await servers(3);
    const source = new StaticEndpointSource(echo.map((s) => ({ id: s.replica, address: s.address })));
    const detector = detect(source);
    const clients = echoClients(source.current());
    cleanups.push(() => clients.close());
    const served = async () => {
      const replicas = new Set<string>();
      const eligible = detector.eligible(source.current());
      for (let i = 0; i < 30; i++) replicas.add((await clients.call(eligible[i % eligible.length]!.id)).replica!);
      return [...replicas].sort();
    };

    const down = waitForChange(detector, 's1', (s) => s.type === 'down');
    echo[1]!.health.setStatus('unhealthy');
    expect((await down).current).toMatchObject({ type: 'down', reason: 'not-serving' });
    expect(await served()).toEqual(['s0', 's2']);

    const up = waitForChange(detector, 's1', (s) => s.type === 'up');
    echo[1]!.health.setStatus('healthy');
    await up;
    expect(await served()).toEqual(['s0', 's1', 's2']);
  });

  it('polls Check for status when Watch is off', async () => {
    const [echo] = await servers(1);
    const source = new StaticEndpointSource([{ id: 'p', address: echo!.address }]);
    const detector = detect(source, { heartbeat: { mode: 'poll', intervalMs: 100, watch: false }, panicThreshold: 0 });
    const down = waitForChange(detector, 'p', (s) => s.type === 'down');
    echo!.health.setStatus('unhealthy');
    expect((await down).reason).toBe('not-serving');
    expect(detector.states()[0]!.heartbeat).toBe('poll');
    expect(detector.eligible(source.current())).toEqual([]);
  });

  it('falls back to Check polling when the peer does not implement Watch', async () => {
    let status = 1;
    const server: Server = createServer();
    server.add(HealthDefinition, {
      check: async () => ({ status: status as never }),
      // eslint-disable-next-line require-yield -- a Watch that refuses before its first message
      watch: async function* () {
        throw new ServerError(Status.UNIMPLEMENTED, 'no Watch here');
      },
    });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
    const source = new StaticEndpointSource([{ id: 'nowatch', address: `127.0.0.1:${port}` }]);
    const detector = detect(source, { heartbeat: { mode: 'poll', intervalMs: 100 }, panicThreshold: 0 });
    await vi.waitFor(() => expect(detector.states()[0]!.heartbeat).toBe('poll'), { timeout: 10_000 });
    const down = waitForChange(detector, 'nowatch', (s) => s.type === 'down');
    status = 2;
    expect((await down).reason).toBe('not-serving');
  });

  it('close() cancels the Watch stream on the server and leaves nothing to subscribe to', async () => {
    const health = await countingHealthServer();
    cleanups.push(() => health.server.forceShutdown());
    const source = new StaticEndpointSource([{ id: 'c', address: `127.0.0.1:${health.port}` }]);
    const detector = createDetector({ source, heartbeat: { intervalMs: 50 }, outlier: false, metrics: false });
    await health.watchOpened;
    await vi.waitFor(() => expect(health.checks).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    detector.close();
    await health.watchCancelled;
    expect(detector.states()).toEqual([]);
    expect(() => detector.onChange(() => {})).toThrow(DetectorClosedError);
    // Outcomes after close are ignored, not thrown: the channel may still report a late attempt.
    expect(() =>
      detector.record({ endpointId: 'c', code: 14, signal: 'endpoint-failing', latencyMs: 1, method: '/x/Y' }),
    ).not.toThrow();
  });

  it('Checks that time out mark the endpoint down after unhealthyThreshold in a row', async () => {
    let answering = true;
    const server: Server = createServer();
    server.add(HealthDefinition, {
      async check(_request, context) {
        if (!answering) await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
        return { status: 1 as never };
      },
      // eslint-disable-next-line require-yield -- status comes from Check in this test
      async *watch() {
        throw new ServerError(Status.UNIMPLEMENTED, 'no Watch here');
      },
    });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
    const source = new StaticEndpointSource([{ id: 'slow', address: `127.0.0.1:${port}` }]);
    // Phi made insensitive, so only the timeouts can decide.
    const detector = detect(source, {
      heartbeat: { mode: 'poll', intervalMs: 50, timeoutMs: 200, unhealthyThreshold: 3, phi: { threshold: 1e6 } },
    });
    await vi.waitFor(() => expect(detector.states()[0]!.lastRttMs).toBeDefined(), { timeout: 10_000 });
    const down = waitForChange(detector, 'slow', (s) => s.type === 'down');
    const since = performance.now();
    answering = false;
    expect((await down).reason).toBe('check-failed');
    // Three 200 ms timeouts back to back: not sooner.
    expect(performance.now() - since).toBeGreaterThanOrEqual(550);
    const up = waitForChange(detector, 'slow', (s) => s.type === 'up');
    answering = true;
    expect((await up).reason).toBe('recovered');
  });

  it('a peer without a health service: passive-only, said once in the log, endpoint stays eligible', async () => {
    const [echo] = await servers(1, false);
    const source = new StaticEndpointSource([{ id: 'bare', address: echo!.address }]);
    const { logger, records } = capturingLogger();
    const detector = detect(source, { logger });
    await vi.waitFor(() => expect(detector.states()[0]!.heartbeat).toBe('passive-only'), { timeout: 10_000 });
    expect(detector.state('bare')).toEqual({ type: 'up' });
    expect(detector.eligible(source.current())).toEqual(source.current());
    const lines = records.filter((r) => r.level >= 30 && r.endpoint === 'bare');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/UNIMPLEMENTED/);
    expect(lines[0]).toMatchObject({ level: 40, endpoint: 'bare' });
  });

  it('a health response with an unknown status counts as not serving, without crashing anything', async () => {
    const server: Server = createServer();
    server.add(HealthDefinition, {
      check: async () => ({ status: 7 as never }),
      async *watch(_request, context) {
        yield { status: 7 as never };
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      },
    });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.forceShutdown());
    const source = new StaticEndpointSource([{ id: 'odd', address: `127.0.0.1:${port}` }]);
    const detector = createDetector({ source, heartbeat: { intervalMs: 100 }, outlier: false, metrics: false });
    cleanups.push(() => detector.close());
    await vi.waitFor(() => expect(detector.state('odd')).toMatchObject({ type: 'down', reason: 'unknown-status' }), {
      timeout: 10_000,
    });
  });
});
