import { connect, connection, disconnect, type ConnectOptions } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import type { EchoReplica } from '@ballast/testing';
import { pino } from 'pino';
import type { Fleet } from './fleet.js';
import { closedLoop, type CallSample } from '@ballast/bench-kit';
import { watchPicks } from './pick-watch.js';
import { quantile } from '@ballast/bench-kit';

export const silentLogger = pino({ level: 'silent' });

export interface FaultRunOptions {
  readonly fleet: Fleet;
  /** Index of the replica to fault. */
  readonly victim: number;
  /** What happens to it: crash(), freeze(), drain()… Awaited only for its start. */
  readonly fault: (replica: EchoReplica) => unknown;
  readonly connectOptions?: Omit<ConnectOptions, 'endpoints'>;
  readonly concurrency: number;
  /** Length of the load; the fault comes at `faultAtMs`. */
  readonly durationMs: number;
  readonly faultAtMs: number;
  /** Calls started this long after the fault make up "the incident" for its p99. */
  readonly incidentMs: number;
  /** After the load, wait up to this long from the fault for the detector's verdict (default 5 000). */
  readonly detectWaitMs?: number;
  readonly signal: AbortSignal;
}

export interface FaultRunResult {
  readonly samples: CallSample[];
  /** Fault time, ms after the origin of the samples. */
  readonly faultAtMs: number;
  readonly failedCalls: number;
  readonly calls: number;
  /** Last time the balancer picked the victim, ms after the fault (0: never after it). */
  readonly picksStopMs: number;
  /** First detector verdict other than "up" for the victim, ms after the fault; null when none came. */
  readonly detectMs: number | null;
  readonly p99BeforeMs: number;
  readonly p99IncidentMs: number;
  readonly p50IncidentMs: number;
  /** Hedges sent, when the client hedges (warm-up included). */
  readonly hedges?: number;
  /** Retries and hedges the retry budget refused (warm-up included). */
  readonly budgetRefused?: number;
}

/**
 * Steady closed-loop load through connect() on the fleet, one fault in the middle. Measures what a
 * caller sees (failed calls, latency in the incident window) and what the client knew (when the
 * balancer stopped picking the victim, when the detector marked it).
 */
export async function faultRun(o: FaultRunOptions): Promise<FaultRunResult> {
  const victim = o.fleet.replicas[o.victim]!;
  const client = connect(EchoServiceDefinition, {
    logger: silentLogger,
    ...o.connectOptions,
    endpoints: o.fleet.addresses,
  });
  const parts = connection(client)!;
  const call = () => client.echo({ message: 'bench' });
  let detectAt: number | undefined;
  let faultAt = Number.NaN;
  let onDetect = () => {};
  const detected = new Promise<void>((resolve) => (onDetect = resolve));
  const unsubscribe = parts.detector?.onEndpointStateChange((change) => {
    if (detectAt === undefined && change.endpoint.address === victim.address && change.current.type !== 'up') {
      if (performance.now() >= faultAt) {
        detectAt = performance.now();
        onDetect();
      }
    }
  });
  const picks = watchPicks(parts.channels[0]!, victim.address);
  try {
    // Warm: connections up, peak-EWMA and hedging delays learnt, JIT done.
    await closedLoop(call, { concurrency: o.concurrency, durationMs: 500, signal: o.signal });
    const origin = performance.now();
    const load = closedLoop(call, {
      concurrency: o.concurrency,
      durationMs: o.durationMs,
      signal: o.signal,
      originMs: origin,
    });
    const faultTimer = new Promise<void>((resolve) => setTimeout(resolve, o.faultAtMs));
    await faultTimer;
    faultAt = performance.now();
    const faulted = Promise.resolve(o.fault(victim));
    const samples = await load;
    await faulted;
    if (parts.detector && detectAt === undefined && !o.signal.aborted) {
      // The verdict may come after the load ends (heartbeats go on): wait for it, bounded.
      const left = faultAt + (o.detectWaitMs ?? 5_000) - performance.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([detected, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, left))))]);
      clearTimeout(timer);
    }
    const faultAtMs = faultAt - origin;
    const before = samples.filter((s) => s.startMs < faultAtMs).map((s) => s.latencyMs);
    const incident = samples
      .filter((s) => s.startMs >= faultAtMs && s.startMs < faultAtMs + o.incidentMs)
      .map((s) => s.latencyMs);
    return {
      samples,
      faultAtMs,
      calls: samples.length,
      failedCalls: samples.filter((s) => !s.ok).length,
      picksStopMs: picks.lastPickAt !== undefined && picks.lastPickAt > faultAt ? picks.lastPickAt - faultAt : 0,
      detectMs: detectAt === undefined ? null : detectAt - faultAt,
      p99BeforeMs: quantile(before, 0.99),
      p99IncidentMs: quantile(incident, 0.99),
      p50IncidentMs: quantile(incident, 0.5),
      hedges: parts.hedging?.stats().hedges,
      budgetRefused: parts.retry?.budget?.stats().refused,
    };
  } finally {
    picks.stop();
    unsubscribe?.();
    await disconnect(client);
  }
}
