import type { Clock, Endpoint, Logger, Scheduler } from '@ballast/core';
import type { Channel } from 'nice-grpc';
import {
  stateLabel,
  type DownReason,
  type EndpointSnapshot,
  type EndpointState,
  type EndpointStateChange,
  type HeartbeatMode,
  type StateChangeReason,
} from './endpoint-state.js';
import { HealthChecker, ServingStatus } from './health-checker.js';
import type { DetectorMetrics } from './detector-metrics.js';
import type { HeartbeatOptions } from './detector-settings.js';
import type { OutlierDetector } from './outlier-detector.js';
import { PhiAccrual } from './phi-accrual.js';
import { SilenceProbe } from './silence-probe.js';

export interface EndpointTrackerOptions {
  readonly endpoint: Endpoint;
  /** The calls' connection to the endpoint, for health checks; undefined: the checker opens its own. */
  readonly connection: Channel | undefined;
  readonly heartbeat: HeartbeatOptions | false;
  readonly outlier: OutlierDetector | undefined;
  /** Time, and the timers of the endpoint's health checks. */
  readonly clock: Scheduler;
  /**
   * What on-silence probing measures silences and probe timeouts on: the detector passes a
   * `RunningClock`, so time this process's own loop stood still is not the endpoint's silence.
   * Default: `clock`.
   */
  readonly probeClock?: Clock;
  readonly logger: Logger;
  readonly metrics: DetectorMetrics | undefined;
  readonly onStateChange: (change: EndpointStateChange) => void;
}

const UP: EndpointState = { type: 'up' };

/** One endpoint's evidence (heartbeats, health status, outlier ejection) folded into one state. */
export class EndpointTracker {
  readonly endpoint: Endpoint;
  #state: EndpointState = UP;
  #mode: HeartbeatMode;
  #phi: PhiAccrual | undefined;
  #probe: SilenceProbe | undefined;
  #checker: HealthChecker | undefined;
  #failedChecks = 0;
  /** Last serving status heard (from Watch while its stream is live, else from Check). */
  #status: number | undefined;
  #watchLive = false;
  #lastRttMs: number | undefined;
  #closed = false;
  readonly #probeClock: Clock;

  constructor(private readonly options: EndpointTrackerOptions) {
    this.endpoint = options.endpoint;
    const { heartbeat, clock, metrics } = options;
    const probeClock = (this.#probeClock = options.probeClock ?? clock);
    metrics?.endpointState.set({ endpoint: this.endpoint.id, state: 'up' }, 1);
    if (!heartbeat) {
      this.#mode = 'off';
      return;
    }
    if (heartbeat.mode === 'on-silence') {
      this.#mode = 'on-silence';
      this.#probe = new SilenceProbe({
        busyAfterMs: heartbeat.intervalMs,
        idleAfterMs: heartbeat.idleIntervalMs,
        timeoutMs: heartbeat.timeoutMs,
        failureThreshold: heartbeat.unhealthyThreshold,
      });
    } else {
      this.#mode = heartbeat.watch ? 'watch' : 'poll';
      this.#phi = new PhiAccrual(heartbeat.phi);
    }
    // The checker's timers are the scheduler's; its time, in on-silence mode, the probe clock's.
    const checkerScheduler: Scheduler = this.#probe
      ? {
          now: () => probeClock.now(),
          setTimeout: (callback, ms, o) => clock.setTimeout(callback, ms, o),
          clearTimeout: (handle) => clock.clearTimeout(handle),
          sleep: (ms, signal) => clock.sleep(ms, signal),
        }
      : clock;
    this.#checker = new HealthChecker(this.endpoint, options.connection, heartbeat, checkerScheduler, {
      onCheck: (status, rttMs) => {
        this.#phi?.heartbeat(clock.now());
        this.#probe?.answered(probeClock.now());
        this.#failedChecks = 0;
        this.#lastRttMs = rttMs;
        metrics?.heartbeatRtt.observe({ endpoint: this.endpoint.id }, rttMs / 1000);
        // A Check answer may predate a change the Watch stream already pushed: the stream wins while live.
        if (!this.#watchLive) this.#status = status;
        this.evaluate(clock.now());
      },
      onCheckFailed: (code, message, timedOut) => {
        this.#failedChecks++;
        this.#probe?.failed(timedOut);
        this.options.logger.debug({ endpoint: this.endpoint.id, code, message }, 'health check failed');
        this.evaluate(clock.now());
      },
      onWatch: (status) => {
        // A pushed status is a sign of life too, whatever the mode.
        this.#probe?.heard(probeClock.now());
        if (this.#mode !== 'watch' && this.#mode !== 'on-silence') return;
        this.#watchLive = true;
        this.#status = status;
        this.evaluate(clock.now());
      },
      onWatchEnded: () => {
        this.#watchLive = false;
      },
      onWatchUnsupported: () => {
        if (this.#mode === 'on-silence') this.#watchLive = false;
        if (this.#mode !== 'watch') return;
        this.#mode = 'poll';
        this.#watchLive = false;
        // Debug only: a peer with no health service at all fails Watch too, and that is said once, below.
        this.options.logger.debug({ endpoint: this.endpoint.id }, 'health Watch unsupported; polling Check instead');
      },
      onUnimplemented: () => {
        this.#mode = 'passive-only';
        this.#phi = undefined;
        this.#probe = undefined;
        this.#status = undefined;
        this.#failedChecks = 0;
        this.options.logger.warn(
          { endpoint: this.endpoint.id, address: this.endpoint.address },
          'endpoint has no grpc.health.v1 service (UNIMPLEMENTED): passive outlier detection only',
        );
        this.evaluate(clock.now());
      },
    });
  }

  get state(): EndpointState {
    return this.#state;
  }

  snapshot(now: number): EndpointSnapshot {
    return {
      endpoint: this.endpoint,
      state: this.#state,
      heartbeat: this.#mode,
      phi: this.#phi?.phi(now) ?? 0,
      lastRttMs: this.#lastRttMs,
    };
  }

  /**
   * The endpoint answered a call (`answered`), or a call on it failed in a way that may be its own
   * (`!answered`): a sign of life, or a reason to probe it at the next tick.
   */
  observe(answered: boolean): void {
    if (!this.#probe) return;
    if (answered) this.#probe.heard(this.#probeClock.now());
    else this.#probe.suspect();
  }

  /**
   * On-silence mode: sends a probe if the endpoint has been silent long enough (`busy`: calls are
   * waiting on it), then re-judges it. Other modes only re-judge.
   */
  tick(now: number, busy: boolean): void {
    const probeNow = this.#probeClock.now();
    if (this.#probe?.due(probeNow, busy) && this.#checker) {
      this.#probe.sent(probeNow);
      this.#checker.probe();
    }
    this.evaluate(now);
  }

  /** Re-judges the endpoint at `now`, publishing a change when its state type moves. */
  evaluate(now: number): void {
    if (this.#closed) return;
    const phi = this.#phi?.phi(now) ?? 0;
    this.options.metrics?.phi.set({ endpoint: this.endpoint.id }, Number.isFinite(phi) ? phi : 1e6);
    const next = this.#judge(now);
    const previous = this.#state;
    if (next === previous) return;
    this.#state = next;
    const reason: StateChangeReason =
      next.type !== 'up' ? next.reason : previous.type === 'ejected' ? 'ejection-expired' : 'recovered';
    const { metrics, logger } = this.options;
    metrics?.endpointState.remove({ endpoint: this.endpoint.id, state: stateLabel(previous) });
    metrics?.endpointState.set({ endpoint: this.endpoint.id, state: stateLabel(next) }, 1);
    const fields = {
      endpoint: this.endpoint.id,
      address: this.endpoint.address,
      from: stateLabel(previous),
      to: stateLabel(next),
      reason,
      phi: Math.round(phi * 100) / 100,
      status: this.#status,
    };
    if (next.type === 'up') logger.info(fields, 'endpoint up');
    else logger.warn(fields, `endpoint ${next.type}`);
    this.options.onStateChange({ endpoint: this.endpoint, previous, current: next, reason, at: now });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#checker?.close();
    const { metrics } = this.options;
    metrics?.endpointState.remove({ endpoint: this.endpoint.id, state: stateLabel(this.#state) });
    metrics?.phi.remove({ endpoint: this.endpoint.id });
  }

  // Returns the current object when nothing changed, so callers compare by identity.
  #judge(now: number): EndpointState {
    const down = this.#downReason(now);
    if (down) return this.#state.type === 'down' ? this.#state : { type: 'down', reason: down, since: now };
    const ejection = this.options.outlier?.ejection(this.endpoint.id);
    if (ejection) {
      const current = this.#state;
      return current.type === 'ejected' && current.since === ejection.since
        ? current
        : { type: 'ejected', ...ejection };
    }
    return this.#state.type === 'up' ? this.#state : UP;
  }

  #downReason(now: number): DownReason | undefined {
    if (this.#mode === 'off' || this.#mode === 'passive-only' || !this.options.heartbeat) return undefined;
    if (this.#status !== undefined && this.#status !== ServingStatus.SERVING) {
      return this.#status === ServingStatus.NOT_SERVING ? 'not-serving' : 'unknown-status';
    }
    if (this.#probe) {
      const verdict = this.#probe.verdict();
      return verdict === 'unresponsive' ? 'heartbeat-timeout' : verdict === 'failing' ? 'check-failed' : undefined;
    }
    if (this.#failedChecks >= this.options.heartbeat.unhealthyThreshold) return 'check-failed';
    if (this.#phi && !this.#phi.isAvailable(now)) return 'heartbeat-timeout';
    return undefined;
  }
}
