import {
  Emitter,
  partLogger,
  repeat,
  systemRandom,
  realTimersOn,
  type CallOutcome,
  type Disposer,
  type Endpoint,
  type HealthView,
} from '@ballast/core';
import type { EndpointSnapshot, EndpointState, EndpointStateChange } from './endpoint-state.js';
import { EndpointTracker } from './endpoint-tracker.js';
import { DetectorClosedError } from './errors.js';
import { createDetectorMetrics } from './detector-metrics.js';
import { parseDetectorOptions, type DetectorOptions } from './detector-options.js';
import { OutlierDetector, type OutlierEvent } from './outlier-detector.js';
import { eligibleWithPanic } from './eligible-with-panic.js';
import { RunningClock } from './running-clock.js';

export interface Detector extends HealthView {
  /** One call attempt's outcome; pass it as the balanced channel's OutcomeListener (already bound). */
  readonly record: (outcome: CallOutcome) => void;
  onEndpointStateChange(listener: (change: EndpointStateChange) => void): Disposer;
  /** Current state of every endpoint of the source. */
  states(): readonly EndpointSnapshot[];
  /** Current state of one endpoint; undefined when the source does not list it. */
  state(endpointId: string): EndpointState | undefined;
  /** True while the healthy share is below the panic threshold. */
  panicking(): boolean;
  /** Stops every timer, health stream and channel; idempotent. */
  close(): void;
}

/**
 * Ticks a step may span and still count in full on the probe clock: a loop that runs a tick late,
 * or a few, is busy and still running; longer, it stood still. Six ticks (300 ms at the default
 * 400 ms silence) stay under the busy silence, so a stall alone never makes every member look
 * silent; four cost freeze detection ~150 ms under hedging, whose bursts run the loop that late.
 */
const RUNNING_STEP_TICKS = 6;

// The detector's timers alone never keep a process alive.
const UNREF = { unref: true } as const;

/** A failure detector over `source`: active heartbeats, passive outlier ejection, panic threshold. */
export function createDetector(input: DetectorOptions): Detector {
  const options = parseDetectorOptions(input);
  const { settings, target } = options;
  const clock = options.scheduler ?? realTimersOn(options.clock);
  const logger = partLogger('detector', 'detector', options.logger).child({ target });
  const metrics = options.metrics === false ? undefined : (options.metrics ?? createDetectorMetrics());
  const outlier = settings.outlier ? new OutlierDetector(settings.outlier, options.random ?? systemRandom) : undefined;
  const tracked = new Map<string, EndpointTracker>();
  const heartbeat = settings.heartbeat;
  // The tick bounds how late a due probe leaves and how late an unanswered one is noticed.
  const tickMs = heartbeat ? Math.max(10, Math.min(heartbeat.intervalMs, heartbeat.timeoutMs) / 8) : 0;
  // Read at every tick: a step longer than a few ticks is this process standing still, not the
  // endpoint's silence (see RunningClock).
  const probeClock =
    heartbeat && heartbeat.mode === 'on-silence' ? new RunningClock(clock, RUNNING_STEP_TICKS * tickMs) : undefined;
  // Changes are emitted from record(), on the call path: a listener that throws is logged, never
  // thrown into the call or the detector.
  const stateChanges = new Emitter<EndpointStateChange>('endpoint state change', logger);
  const changes = new Emitter<void>('detector change', logger);
  const timers: Disposer[] = [];
  let panic = false;
  let closed = false;

  const refreshPanic = () => {
    let healthy = 0;
    for (const t of tracked.values()) if (t.state.type === 'up') healthy++;
    metrics?.healthyEndpoints.set({ target }, healthy);
    metrics?.endpoints.set({ target }, tracked.size);
    const now = tracked.size > 0 && healthy / tracked.size < settings.panicThreshold;
    if (now === panic) return;
    panic = now;
    metrics?.panic.set({ target }, panic ? 1 : 0);
    if (panic)
      logger.warn({ target, healthy, total: tracked.size }, 'panic mode: too few healthy endpoints, using all');
    else logger.info({ target, healthy, total: tracked.size }, 'panic mode over');
  };

  const onStateChange = (change: EndpointStateChange) => {
    refreshPanic();
    stateChanges.emit(change);
    changes.emit();
  };

  const applyOutlier = (events: readonly OutlierEvent[]) => {
    for (const event of events) {
      const t = tracked.get(event.endpointId);
      if (!t) continue;
      if (event.type === 'ejected') {
        metrics?.ejections.inc({ endpoint: event.endpointId, reason: event.reason });
        logger.warn(
          { endpoint: event.endpointId, reason: event.reason, ejections: event.ejections, untilMs: event.until },
          'endpoint ejected',
        );
      }
      t.evaluate(clock.now());
    }
  };

  const update = (endpoints: readonly Endpoint[]) => {
    if (closed) return;
    const ids = new Set(endpoints.map((e) => e.id));
    for (const [id, t] of tracked) {
      if (ids.has(id)) continue;
      t.close();
      tracked.delete(id);
    }
    outlier?.setEndpoints(ids);
    for (const endpoint of endpoints) {
      const existing = tracked.get(endpoint.id);
      if (existing && existing.endpoint.address === endpoint.address) continue;
      existing?.close();
      tracked.set(
        endpoint.id,
        new EndpointTracker({
          endpoint,
          connection: options.connection?.(endpoint),
          heartbeat: settings.heartbeat,
          outlier,
          clock,
          probeClock,
          logger,
          metrics,
          onStateChange,
        }),
      );
    }
    refreshPanic();
    changes.emit();
  };

  const unsubscribe = options.source.subscribe(update);
  if (heartbeat && heartbeat.mode === 'on-silence') {
    const every = tickMs;
    const inFlight = options.inFlight;
    timers.push(
      repeat(
        clock,
        every,
        () => {
          const now = clock.now();
          for (const t of tracked.values()) t.tick(now, inFlight ? inFlight(t.endpoint) > 0 : true);
        },
        UNREF,
      ),
    );
  } else if (heartbeat) {
    // Phi rises between heartbeats, so suspicion is re-judged twice per interval.
    const every = Math.max(5, heartbeat.intervalMs / 2);
    timers.push(repeat(clock, every, () => tracked.forEach((t) => t.evaluate(clock.now())), UNREF));
  }
  if (outlier && settings.outlier) {
    timers.push(repeat(clock, settings.outlier.intervalMs, () => applyOutlier(outlier.sweep(clock.now())), UNREF));
  }

  return {
    eligible(endpoints) {
      const result = eligibleWithPanic(
        endpoints,
        (e) => (tracked.get(e.id)?.state.type ?? 'up') === 'up',
        settings.panicThreshold,
      );
      return result.eligible;
    },
    onChange(listener) {
      if (closed) throw new DetectorClosedError('onChange');
      return changes.on(listener);
    },
    onEndpointStateChange(listener) {
      if (closed) throw new DetectorClosedError('onEndpointStateChange');
      return stateChanges.on(listener);
    },
    record: (outcome) => {
      if (closed) return;
      const t = tracked.get(outcome.endpointId);
      if (!t) return;
      metrics?.countPick(outcome.endpointId);
      if (outcome.signal !== 'cancelled') t.observe(outcome.signal !== 'endpoint-failing');
      if (outlier) applyOutlier(outlier.record(outcome.endpointId, outcome.code, clock.now(), outcome.signal));
    },
    states: () => [...tracked.values()].map((t) => t.snapshot(clock.now())),
    state: (id) => tracked.get(id)?.state,
    panicking: () => panic,
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const stop of timers.splice(0)) stop();
      for (const t of tracked.values()) t.close();
      tracked.clear();
      metrics?.healthyEndpoints.remove({ target });
      metrics?.endpoints.remove({ target });
      metrics?.panic.remove({ target });
      stateChanges.clear();
      changes.clear();
    },
  };
}
