import type { Endpoint } from '@ballast/core';
import type { EjectionReason } from './outlier-detector.js';

/** Why active health checking says an endpoint is down. */
export type DownReason =
  /**
   * A frozen or partitioned process: an on-silence probe went unanswered for `timeoutMs`, or
   * (poll mode) phi-accrual says the heartbeats stopped.
   */
  | 'heartbeat-timeout'
  /** `unhealthyThreshold` Checks in a row failed (connection refused, reset; in poll mode also timeouts). */
  | 'check-failed'
  /** The endpoint's health service says NOT_SERVING (draining, dependency down). */
  | 'not-serving'
  /** The health service answered a status other than SERVING or NOT_SERVING. */
  | 'unknown-status';

export type { EjectionReason };

/** Where an endpoint stands. `down` (active evidence) outranks `ejected` (passive evidence). */
export type EndpointState =
  | { readonly type: 'up' }
  | { readonly type: 'down'; readonly reason: DownReason; readonly since: number }
  | {
      readonly type: 'ejected';
      readonly reason: EjectionReason;
      readonly since: number;
      readonly until: number;
      readonly ejections: number;
    };

export type StateChangeReason = DownReason | EjectionReason | 'recovered' | 'ejection-expired';

export interface EndpointStateChange {
  readonly endpoint: Endpoint;
  readonly previous: EndpointState;
  readonly current: EndpointState;
  readonly reason: StateChangeReason;
  /** Clock time of the change. */
  readonly at: number;
}

/**
 * How an endpoint's liveness is learnt: `on-silence` probes (with Watch where the peer has it),
 * `watch` / `poll` Check polling with or without Watch, `passive-only` after the peer answered
 * UNIMPLEMENTED.
 */
export type HeartbeatMode = 'on-silence' | 'watch' | 'poll' | 'passive-only' | 'off';

export interface EndpointSnapshot {
  readonly endpoint: Endpoint;
  readonly state: EndpointState;
  readonly heartbeat: HeartbeatMode;
  /** Current phi-accrual suspicion (0 without heartbeats). */
  readonly phi: number;
  /** Round-trip time of the last successful Check, ms. */
  readonly lastRttMs: number | undefined;
}

export function stateLabel(state: EndpointState): string {
  return state.type === 'up' ? 'up' : `${state.type}:${state.reason}`;
}
