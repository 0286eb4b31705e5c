import { StaticEndpointSource } from '@ballast/core';
import { spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDetector, ON_SILENCE_DEFAULTS, type Detector, type HeartbeatOptionsInput } from '../src/index.js';
import { waitForChange } from './helpers.js';

// Real child processes: SIGSTOP freezes one (sockets open, nothing answers), SIGKILL crashes one.
describe('heartbeats against real replicas', () => {
  let replicas: EchoReplica[] = [];
  let detector: Detector | undefined;

  afterEach(async () => {
    detector?.close();
    detector = undefined;
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
  });

  async function start(
    count: number,
    heartbeat: HeartbeatOptionsInput = { mode: 'poll', intervalMs: 100 },
  ): Promise<{ source: StaticEndpointSource; detector: Detector }> {
    replicas = await Promise.all(Array.from({ length: count }, (_, i) => spawnEchoReplica(`r${i}`)));
    const source = new StaticEndpointSource(replicas.map((r) => ({ id: r.replica, address: r.address })));
    detector = createDetector({ source, heartbeat, outlier: false, metrics: false });
    await Promise.all(replicas.map((r) => waitForFirstHeartbeat(detector!, r.replica)));
    return { source, detector };
  }

  it('marks a SIGSTOP-frozen replica down by phi-accrual, and up again after SIGCONT', async () => {
    const { detector } = await start(3);
    const frozen = replicas[1]!;
    const { change } = await freezeUntilDown(detector, frozen);
    // Phi-accrual decided (it crosses at ~450 ms with 100 ms heartbeats), not the slower failed-check
    // path, which would give 'check-failed'; waitForChange bounds the wait.
    expect(change.current).toMatchObject({ type: 'down', reason: 'heartbeat-timeout' });
    expect(detector.eligible(detector.states().map((s) => s.endpoint)).map((e) => e.id)).toEqual(['r0', 'r2']);
    expect((await thawUntilUp(detector, frozen)).reason).toBe('recovered');
  });

  it('on-silence (the default): a frozen replica is down once a probe goes unanswered for timeoutMs', async () => {
    const { detector } = await start(2, {});
    const frozen = replicas[1]!;
    const { change, detectMs } = await freezeUntilDown(detector, frozen);
    expect(change.current).toMatchObject({ type: 'down', reason: 'heartbeat-timeout' });
    // Without an in-flight view every endpoint counts as busy: probed after 400 ms of silence,
    // unanswered after 450 more (≈ 0.9 s); the bound leaves room for a loaded machine.
    expect(detectMs).toBeGreaterThanOrEqual(ON_SILENCE_DEFAULTS.timeoutMs);
    expect(detectMs).toBeLessThan(2500);
    expect(detector.state('r0')).toEqual({ type: 'up' });
    expect((await thawUntilUp(detector, frozen)).reason).toBe('recovered');
  });

  it('marks SIGKILLed replicas down on failed checks; with 2 of 3 down, panic makes all eligible', async () => {
    const { detector } = await start(3);
    const endpoints = detector.states().map((s) => s.endpoint);
    const downs = [replicas[0]!, replicas[2]!].map((r) => waitForChange(detector, r.replica, (s) => s.type === 'down'));
    await replicas[0]!.crash();
    const first = await downs[0]!;
    expect(['check-failed', 'heartbeat-timeout']).toContain(first.reason);
    // One of three down: the other two take the calls.
    expect(detector.panicking()).toBe(false);
    expect(detector.eligible(endpoints).map((e) => e.id)).toEqual(['r1', 'r2']);

    await replicas[2]!.crash();
    await downs[1];
    expect(detector.panicking()).toBe(true);
    expect(detector.eligible(endpoints)).toEqual(endpoints);
  });
});

/** SIGSTOPs `replica` and resolves with its down verdict and the time it took. */
async function freezeUntilDown(detector: Detector, replica: EchoReplica) {
  const down = waitForChange(detector, replica.replica, (s) => s.type === 'down');
  const frozenAt = performance.now();
  replica.freeze();
  const change = await down;
  return { change, detectMs: performance.now() - frozenAt };
}

function thawUntilUp(detector: Detector, replica: EchoReplica) {
  const up = waitForChange(detector, replica.replica, (s) => s.type === 'up');
  replica.thaw();
  return up;
}

async function waitForFirstHeartbeat(detector: Detector, id: string): Promise<void> {
  await vi.waitFor(
    () => {
      const snapshot = detector.states().find((s) => s.endpoint.id === id);
      if (snapshot?.lastRttMs === undefined) throw new Error(`no heartbeat from ${id} yet`);
    },
    { timeout: 15_000, interval: 50 },
  );
}
