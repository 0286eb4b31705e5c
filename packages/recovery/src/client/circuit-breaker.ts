import {
  Emitter,
  parseOptions,
  partLogger,
  systemClock,
  systemRandom,
  type Clock,
  type Disposer,
  type Logger,
  type Random,
} from '@ballast/core';
import { z } from 'zod';
import { invalidRecoveryOption } from '../errors.js';
import { clockSchema, loggerSchema, randomSchema } from '../option-schemas.js';
import { breakerPolicySchema, createBreakerPolicy, type BreakerPolicy } from './breaker-policy.js';

export const circuitBreakerOptionsSchema = z.strictObject({
  /** Named in errors, events, logs and metrics. */
  name: z.string().min(1),
  policy: breakerPolicySchema.prefault({ type: 'consecutive' }),
  /** How long an open breaker fails fast before letting probes through. */
  openMs: z.number().finite().min(1).default(5_000),
  /** Probes allowed at once in half-open; all must succeed to close. */
  halfOpenProbes: z.number().int().min(1).max(100).default(1),
  clock: clockSchema.default(() => systemClock),
  random: randomSchema.default(() => systemRandom),
  logger: loggerSchema.optional(),
});
export type CircuitBreakerOptions = z.input<typeof circuitBreakerOptionsSchema>;

export type BreakerState =
  | { readonly type: 'closed' }
  | { readonly type: 'open'; readonly since: number; readonly until: number; readonly reason: string }
  | { readonly type: 'half-open'; readonly probes: number; readonly successes: number };

export interface BreakerTransition {
  readonly breaker: string;
  readonly from: BreakerState['type'];
  readonly to: BreakerState['type'];
  readonly reason: string;
}

/** Answer of `tryAcquire`: permission to call, or why not. */
export type BreakerPermit =
  | { readonly allowed: true; readonly probe: boolean }
  | { readonly allowed: false; readonly retryInMs: number | undefined };

// Shared: a permit is read, never changed, and the closed-state one is handed out on every call.
const CALL_PERMIT: BreakerPermit = Object.freeze({ allowed: true, probe: false });
const PROBE_PERMIT: BreakerPermit = Object.freeze({ allowed: true, probe: true });

/**
 * closed → open when the policy trips → half-open after `openMs` → closed when every probe
 * succeeds, or open again on a probe failure. The SRE throttle policy never opens: it rejects a
 * share of calls locally instead (its rejections surface as `retryInMs: undefined`).
 * Pure: time comes from the injected clock, randomness from the injected random source.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly options: Readonly<z.output<typeof circuitBreakerOptionsSchema>>;
  private readonly policy: BreakerPolicy;
  private readonly logger: Logger;
  private current: BreakerState = { type: 'closed' };
  // Transitions happen inside record() and tryAcquire(), on the call path: a throwing listener is
  // logged, never thrown into the call.
  private readonly transitions: Emitter<BreakerTransition>;
  private readonly rejections: Emitter<void>;

  constructor(options: CircuitBreakerOptions) {
    this.options = parseOptions(circuitBreakerOptionsSchema, options, 'breaker', { error: invalidRecoveryOption });
    this.name = this.options.name;
    this.policy = createBreakerPolicy(this.options.policy);
    this.logger = partLogger('recovery', 'breaker', this.options.logger);
    this.transitions = new Emitter('breaker transition', this.logger);
    this.rejections = new Emitter('breaker rejection', this.logger);
  }

  /** The state now (an expired open state reads as half-open). */
  get state(): BreakerState {
    this.tick();
    return this.current;
  }

  /** Asks to make a call. A permit must be followed by exactly one `record`. */
  tryAcquire(): BreakerPermit {
    this.tick();
    const now = this.options.clock.now();
    const state = this.current;
    switch (state.type) {
      case 'open':
        return this.reject(state.until - now);
      case 'half-open':
        if (state.probes >= this.options.halfOpenProbes) return this.reject(0);
        this.current = { ...state, probes: state.probes + 1 };
        return PROBE_PERMIT;
      case 'closed': {
        const p = this.policy.rejectProbability(now);
        if (p > 0 && this.options.random() < p) return this.reject(undefined);
        return CALL_PERMIT;
      }
    }
  }

  /** The outcome of a permitted call: `success` false for failures that count against the backend. */
  record(success: boolean, probe = false): void {
    this.tick();
    const now = this.options.clock.now();
    const state = this.current;
    if (state.type === 'half-open' && probe) {
      if (!success) return this.open('a half-open probe failed');
      const successes = state.successes + 1;
      if (successes >= this.options.halfOpenProbes) {
        this.policy.reset(now);
        return this.transition({ type: 'closed' }, `${successes} half-open probe(s) succeeded`);
      }
      this.current = { ...state, successes };
      return;
    }
    if (state.type !== 'closed') return;
    const tripped = this.policy.record(success, now);
    if (tripped) this.open(tripped);
  }

  /** Forces the breaker open (an operator switch, or a test). */
  trip(reason = 'tripped by hand'): void {
    this.open(reason);
  }

  /** Forces the breaker closed and forgets history. */
  reset(): void {
    this.policy.reset(this.options.clock.now());
    if (this.current.type !== 'closed') this.transition({ type: 'closed' }, 'reset by hand');
  }

  /** Milliseconds until an open breaker half-opens; undefined unless open. */
  msUntilHalfOpen(): number | undefined {
    const state = this.state;
    return state.type === 'open' ? Math.max(0, state.until - this.options.clock.now()) : undefined;
  }

  onStateChange(listener: (transition: BreakerTransition) => void): Disposer {
    return this.transitions.on(listener);
  }

  onReject(listener: () => void): Disposer {
    return this.rejections.on(listener);
  }

  private reject(retryInMs: number | undefined): BreakerPermit {
    this.rejections.emit();
    return { allowed: false, retryInMs: retryInMs === undefined ? undefined : Math.max(0, retryInMs) };
  }

  private open(reason: string): void {
    const now = this.options.clock.now();
    this.transition({ type: 'open', since: now, until: now + this.options.openMs, reason }, reason);
  }

  private tick(): void {
    const state = this.current;
    if (state.type === 'open' && this.options.clock.now() >= state.until) {
      this.transition({ type: 'half-open', probes: 0, successes: 0 }, `open for ${this.options.openMs} ms`);
    }
  }

  private transition(next: BreakerState, reason: string): void {
    const from = this.current.type;
    this.current = next;
    const event: BreakerTransition = { breaker: this.name, from, to: next.type, reason };
    this.logger.info(event, `breaker ${this.name}: ${from} → ${next.type}`);
    this.transitions.emit(event);
  }
}

export type { BreakerPolicy };
export type { Random, Clock };
