import type { BenchContext, BenchRecord, Scenario } from '@ballast/bench-kit';
import { spread } from '@ballast/bench-kit';
import { seededRandom, StaticEndpointSource, type Random } from '@ballast/core';
import { delay, spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import { pino } from 'pino';
import {
  createDetector,
  ON_SILENCE_DEFAULTS,
  type Detector,
  type DownReason,
  type EndpointState,
  type HeartbeatOptionsInput,
} from '../src/index.js';

type Variant = 'crash' | 'freeze' | 'not-serving';
const VARIANTS: Variant[] = ['crash', 'freeze', 'not-serving'];
const REPLICAS = 3;

/** Three child-process replicas watched by one detector; counts downs of replicas nobody faulted. */
class Fleet {
  readonly faulted = new Set<string>();
  falsePositives = 0;
  private constructor(
    readonly replicas: EchoReplica[],
    readonly source: StaticEndpointSource,
    readonly detector: Detector,
  ) {
    detector.onEndpointStateChange((change) => {
      if (change.current.type === 'down' && !this.faulted.has(change.endpoint.id)) this.falsePositives++;
    });
  }

  static async start(heartbeat: HeartbeatOptionsInput): Promise<Fleet> {
    const replicas = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => spawnEchoReplica(`d${i}`)));
    const source = new StaticEndpointSource(replicas.map((r) => ({ id: r.replica, address: r.address })));
    const detector = createDetector({
      source,
      heartbeat,
      outlier: false,
      metrics: false,
      logger: pino({ level: 'silent' }),
    });
    return new Fleet(replicas, source, detector);
  }

  async replace(index: number): Promise<void> {
    await this.replicas[index]!.stop();
    this.replicas[index] = await spawnEchoReplica(this.replicas[index]!.replica);
    this.source.set(this.replicas.map((r) => ({ id: r.replica, address: r.address })));
  }

  async close(): Promise<void> {
    this.detector.close();
    await Promise.all(this.replicas.map((r) => r.stop()));
  }
}

function until(detector: Detector, id: string, predicate: (s: EndpointState) => boolean, timeoutMs: number) {
  return new Promise<EndpointState>((resolve, reject) => {
    const current = detector.state(id);
    if (current && predicate(current)) return resolve(current);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${id}: no matching state within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = detector.onEndpointStateChange((change) => {
      if (change.endpoint.id !== id || !predicate(change.current)) return;
      clearTimeout(timer);
      stop();
      resolve(change.current);
    });
  });
}

/** One fault on one replica: ms from the fault to the detector's `down`, then the replica is restored. */
async function detectOnce(fleet: Fleet, variant: Variant, index: number, heartbeatMs: number) {
  const replica = fleet.replicas[index]!;
  const id = replica.replica;
  fleet.faulted.add(id);
  const down = until(fleet.detector, id, (s) => s.type === 'down', 60_000);
  const started = performance.now();
  if (variant === 'crash') void replica.crash();
  else if (variant === 'freeze') replica.freeze();
  else await replica.send({ health: 'unhealthy' });
  const state = (await down) as { reason: DownReason };
  const detectMs = performance.now() - started;
  if (variant === 'crash') await fleet.replace(index);
  else {
    const up = until(fleet.detector, id, (s) => s.type === 'up', 60_000);
    if (variant === 'freeze') replica.thaw();
    else await replica.send({ health: 'healthy' });
    await up;
  }
  // A fresh heartbeat history before the next fault, and before counting this replica's downs again.
  await delay(heartbeatMs * 10);
  fleet.faulted.delete(id);
  return { detectMs, reason: state.reason };
}

/**
 * GC-like jitter: short server pauses that make one heartbeat late (0.5–1.5 × the interval; about
 * one a second at 100 ms heartbeats, one in three seconds at 1 s) and client event-loop stalls.
 */
async function jitter(fleet: Fleet, heartbeatMs: number, durationMs: number, random: Random, signal: AbortSignal) {
  let lateHeartbeats = 0;
  const pauseProbability = Math.min(0.33, heartbeatMs / 1000);
  const end = performance.now() + durationMs;
  while (performance.now() < end && !signal.aborted) {
    await delay(heartbeatMs);
    if (random() < pauseProbability) {
      const replica = fleet.replicas[Math.floor(random() * REPLICAS)]!;
      lateHeartbeats++;
      replica.freeze();
      await delay(heartbeatMs * (0.5 + random()));
      replica.thaw();
    }
    // Blocks this thread as a GC pause would: timers and heartbeat responses queue up behind it.
    if (random() < 0.05) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, heartbeatMs * random());
  }
  return lateHeartbeats;
}

async function run({ quick, progress, signal }: BenchContext) {
  // `paceMs` sets the waits between faults; `jitterScaleMs` the injected pauses (the same GC-like
  // pauses for on-silence as for 100 ms polling, so the two rows meet the same jitter).
  const configs = [
    { mode: 'poll', heartbeatMs: 100, paceMs: 100, jitterScaleMs: 100 },
    ...(quick ? [] : [{ mode: 'poll', heartbeatMs: 1000, paceMs: 1000, jitterScaleMs: 1000 }]),
    { mode: 'on-silence', heartbeatMs: ON_SILENCE_DEFAULTS.intervalMs, paceMs: 400, jitterScaleMs: 100 },
  ] as const;
  const runs = quick ? 2 : 5;
  const jitterMs = quick ? 5_000 : 60_000;
  const random = seededRandom(42);
  const results: BenchRecord[] = [];
  for (const { mode, heartbeatMs, paceMs, jitterScaleMs } of configs) {
    // On-silence with its defaults; no in-flight view, so every replica counts as having calls waiting.
    const fleet = await Fleet.start(mode === 'poll' ? { mode, intervalMs: heartbeatMs } : {});
    try {
      await delay(paceMs * 10);
      for (const variant of VARIANTS) {
        const before = fleet.falsePositives;
        const times: number[] = [];
        const reasons = new Map<string, number>();
        for (let i = 0; i < runs && !signal.aborted; i++) {
          progress(`${variant} at ${mode} ${heartbeatMs} ms, run ${i + 1}/${runs}`);
          const { detectMs, reason } = await detectOnce(fleet, variant, i % REPLICAS, paceMs);
          times.push(detectMs);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
        const reason = [...reasons].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
        results.push({
          variant,
          mode,
          heartbeat_ms: heartbeatMs,
          ...spread('detect_ms', times, 0),
          false_positives: fleet.falsePositives - before,
          reason,
        });
      }
      progress(`jitter at ${mode} ${heartbeatMs} ms for ${jitterMs / 1000} s`);
      const before = fleet.falsePositives;
      const late = await jitter(fleet, jitterScaleMs, jitterMs, random, signal);
      results.push({
        variant: 'jitter',
        mode,
        heartbeat_ms: heartbeatMs,
        duration_s: jitterMs / 1000,
        late_heartbeats: late,
        false_positives: fleet.falsePositives - before,
      });
    } finally {
      await fleet.close();
    }
  }
  return {
    params: { replicas: REPLICAS, configs, runs, jitterS: jitterMs / 1000, phiThreshold: 8 },
    results,
    anchors: [
      'freeze detect_ms: Kubernetes default probes ≈ 30 s; Akka phi-accrual ≈ 4.5 s at 1 s heartbeats; memberlist 4–24 s',
    ],
  };
}

export const scenario: Scenario = {
  name: 'detect',
  description:
    'Time to detect a crashed (SIGKILL), frozen (SIGSTOP) and NOT_SERVING replica: Check polling at 100 ms and 1 s, and on-silence probing (the default); false positives under injected jitter.',
  run,
};
