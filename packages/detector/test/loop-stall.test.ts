import { StaticEndpointSource } from '@ballast/core';
import { spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDetector, type Detector, type EndpointStateChange } from '../src/index.js';
import { countingHealthServer, waitForChange } from './helpers.js';

// The client's own event loop stands still (a CPU-starved machine, a long synchronous burst):
// the replica answered on time, and its silence must not be counted against it.
describe('on-silence probing while the client loop stalls', () => {
  let replica: EchoReplica | undefined;
  let detector: Detector | undefined;
  afterEach(async () => {
    detector?.close();
    await replica?.stop();
  });

  it('a client whose loop is blocked for 600 ms at a time does not mark a healthy replica down', async () => {
    replica = await spawnEchoReplica('stall-r0');
    const source = new StaticEndpointSource([{ id: 'r0', address: replica.address }]);
    // Calls wait on it and none are answered: probed after every 400 ms of silence, 450 ms to answer.
    // The detector asks for the calls waiting just before it judges the replica at each tick: the
    // loop then stands still for 600 ms right after a probe may have left.
    let stalls = 0;
    const stall = () => {
      if (stalls >= 10) return;
      stalls++;
      const until = performance.now() + 600;
      while (performance.now() < until) {
        // the loop stands still
      }
    };
    let armed = false;
    // The detector asks once per tick: the test waits on its ticks, not on the wall clock.
    let ticks = 0;
    detector = createDetector({
      source,
      heartbeat: {},
      inFlight: () => {
        ticks++;
        if (armed) queueMicrotask(stall);
        return 1;
      },
      outlier: false,
      metrics: false,
    });
    const d = detector;
    // Up and probed once before the stalls begin.
    await vi.waitFor(() => expect(d.states()[0]?.lastRttMs).toBeDefined(), { timeout: 10_000 });
    const changes: EndpointStateChange[] = [];
    const stop = detector.onEndpointStateChange((change) => changes.push(change));
    armed = true;
    await vi.waitFor(() => expect(stalls).toBe(10), { timeout: 20_000 });
    // Twenty more ticks (1 s at 50 ms): the last probes are answered or time out meanwhile.
    const after = ticks;
    await vi.waitFor(() => expect(ticks - after).toBeGreaterThanOrEqual(20), { timeout: 10_000 });
    stop();

    expect(changes.filter((c) => c.current.type !== 'up')).toEqual([]);
    expect(detector.state('r0')).toEqual({ type: 'up' });
  }, 30_000);

  it('sends no burst of probes after a stall: silence counts only while the loop runs', async () => {
    const health = await countingHealthServer();
    const port = health.port;
    try {
      const source = new StaticEndpointSource([{ id: 'q', address: `127.0.0.1:${port}` }]);
      let ticks = 0;
      const inFlight = () => {
        ticks++;
        return 1;
      };
      detector = createDetector({ source, heartbeat: {}, inFlight, outlier: false, metrics: false });
      const d = detector;
      await vi.waitFor(() => expect(health.checks).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
      const method = '/ballast.testing.v1.EchoService/Echo';
      const answered = () => d.record({ endpointId: 'q', code: 0, signal: 'ok', latencyMs: 1, method });
      // A busy connection: a call answered every 50 ms proves liveness, so no Check is due, but
      // five times the loop stands still for 600 ms, longer than the 400 ms silence that sends one.
      const before = health.checks;
      for (let round = 0; round < 5; round++) {
        answered();
        const until = performance.now() + 600;
        while (performance.now() < until) {
          // the loop stands still
        }
        // The detector's overdue tick runs before the next answer is read, as after a real stall.
        for (let i = 0; i < 4; i++) {
          const seen = ticks;
          await vi.waitFor(() => expect(ticks).toBeGreaterThan(seen), { timeout: 5_000, interval: 5 });
          answered();
        }
      }
      expect(health.checks - before).toBe(0);
      expect(d.state('q')).toEqual({ type: 'up' });
    } finally {
      await health.server.forceShutdown();
    }
  }, 30_000);

  it('still marks a SIGSTOP-frozen replica down within 1 s while the client loop runs', async () => {
    replica = await spawnEchoReplica('stall-r1');
    const source = new StaticEndpointSource([{ id: 'r1', address: replica.address }]);
    detector = createDetector({ source, heartbeat: {}, inFlight: () => 1, outlier: false, metrics: false });
    const d = detector;
    await vi.waitFor(() => expect(d.states()[0]?.lastRttMs).toBeDefined(), { timeout: 10_000 });
    const frozenAt = performance.now();
    replica.freeze();
    const change = await waitForChange(detector, 'r1', (s) => s.type === 'down', 5_000);
    expect(change.current).toMatchObject({ type: 'down', reason: 'heartbeat-timeout' });
    expect(performance.now() - frozenAt).toBeLessThan(1_500);
    replica.thaw();
  }, 30_000);
});
