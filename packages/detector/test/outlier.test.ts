import { seededRandom, StaticEndpointSource } from '@ballast/core';
import { startEchoServer, type EchoServer } from '@ballast/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createDetector, type Detector, type EndpointStateChange } from '../src/index.js';
import { echoClients, waitForChange } from './helpers.js';

// Real servers, real calls; the outcomes are fed to record() as the balanced channel would.
describe('passive outlier detection from real call outcomes', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(failRates: number[], outlier: Parameters<typeof createDetector>[0]['outlier']) {
    const echo: EchoServer[] = await Promise.all(
      failRates.map((failRate, i) =>
        startEchoServer({ replica: `s${i}`, behaviour: { failRate }, random: seededRandom(i + 1) }),
      ),
    );
    cleanups.push(() => echo.forEach((s) => s.kill()));
    const source = new StaticEndpointSource(echo.map((s) => ({ id: s.replica, address: s.address })));
    const detector: Detector = createDetector({ source, heartbeat: false, outlier, metrics: false });
    cleanups.push(() => detector.close());
    const clients = echoClients(source.current());
    cleanups.push(() => clients.close());
    return { source, detector, clients };
  }

  it('ejects the server failing 50% of calls by success rate, and only it', async () => {
    const { source, detector, clients } = await setup([0, 0, 0.5], {
      intervalMs: 500,
      consecutiveGatewayFailure: false,
      successRateEjection: { stdevFactor: 1000, minimumHosts: 3, requestVolume: 20 },
      maxEjectionPercent: 34,
    });
    const changes: EndpointStateChange[] = [];
    cleanups.push(detector.onEndpointStateChange((c) => changes.push(c)));
    const ejected = waitForChange(detector, 's2', (s) => s.type === 'ejected', 20_000);
    let stop = false;
    void ejected.finally(() => (stop = true)).catch(() => {});
    // Steady traffic to every eligible endpoint until the sweep judges it.
    while (!stop) {
      const eligible = detector.eligible(source.current());
      await Promise.all(eligible.map((e) => clients.call(e.id).then(detector.record)));
    }
    expect((await ejected).current).toMatchObject({ type: 'ejected', reason: 'success-rate', ejections: 1 });
    expect(changes.map((c) => c.endpoint.id)).toEqual(['s2']);
    expect(detector.eligible(source.current()).map((e) => e.id)).toEqual(['s0', 's1']);
  });

  it('respects maxEjectionPercent: of two failing servers out of four, one is ejected at 25%', async () => {
    const { source, detector, clients } = await setup([0, 0, 1, 1], {
      consecutiveGatewayFailure: { threshold: 3 },
      successRateEjection: false,
      maxEjectionPercent: 25,
    });
    for (let round = 0; round < 5; round++) {
      for (const e of source.current()) detector.record(await clients.call(e.id));
    }
    expect(detector.states().map((s) => s.state.type)).toEqual(['up', 'up', 'ejected', 'up']);
    expect(detector.state('s2')).toMatchObject({ reason: 'consecutive-gateway-failure' });
  });

  it('brings an ejected endpoint back after its ejection time, and ejects it again quickly if still bad', async () => {
    const { source, detector, clients } = await setup([0, 0, 1], {
      intervalMs: 100,
      baseEjectionTimeMs: 300,
      consecutiveGatewayFailure: { threshold: 3 },
      successRateEjection: false,
      maxEjectionPercent: 50,
    });
    const s2 = source.current()[2]!;
    for (let i = 0; i < 3; i++) detector.record(await clients.call(s2.id));
    expect(detector.state('s2')).toMatchObject({ type: 'ejected', ejections: 1 });
    // Still-bad outcomes, fetched now and recorded the moment it is back: the multiplier decays
    // with every healthy interval, so recording them later would test the decay instead.
    const stillBad = await Promise.all([0, 1, 2].map(() => clients.call(s2.id)));
    expect(stillBad.map((o) => o.code)).toEqual([14, 14, 14]);
    const back = await waitForChange(detector, 's2', (s) => s.type === 'up');
    expect(back.reason).toBe('ejection-expired');
    expect(back.at - (back.previous as { since: number }).since).toBeGreaterThanOrEqual(300);
    stillBad.forEach(detector.record);
    // Second ejection: twice the base time.
    expect(detector.state('s2')).toMatchObject({ type: 'ejected', ejections: 2 });
    const state = detector.state('s2') as { since: number; until: number };
    expect(state.until - state.since).toBeCloseTo(600, 6);
  });
});
