import { Emitter, type Disposer, type Endpoint, type LoadReport } from '@ballast/core';
import type { AttemptResult, Pick, Picker, PickRequest, Policy, PolicyFactory } from '../picker.js';
import type { WeightedByLoadOptions } from '../policy-options.js';
import { EndpointStates } from './endpoint-states.js';
import { loadWeight } from './load-weight.js';
import { weightedPicker } from './weighted-round-robin.js';

/** What the client knows of one endpoint's reported load. */
export class LoadWeightState {
  #weight: number | undefined;
  /** Start of the current run of reports: the weight counts only after blackoutMs of it. */
  #since: number | undefined;
  #lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly blackoutMs: number,
    private readonly expiryMs: number,
  ) {}

  report(load: LoadReport, now: number): void {
    const weight = loadWeight(load);
    if (weight === undefined) return;
    if (this.#since === undefined || now - this.#lastReport >= this.expiryMs) this.#since = now;
    this.#lastReport = now;
    this.#weight = weight;
  }

  /** The weight to use at `now`, or undefined while in blackout or after the last report expired. */
  weightAt(now: number): number | undefined {
    if (this.#weight === undefined || this.#since === undefined) return undefined;
    if (now - this.#lastReport >= this.expiryMs) return undefined;
    if (now - this.#since < this.blackoutMs) return undefined;
    return this.#weight;
  }

  /** When `weightAt` will next change on its own (blackout ends or the report expires). */
  nextChangeAfter(now: number): number {
    if (this.#weight === undefined || this.#since === undefined) return Number.POSITIVE_INFINITY;
    const expires = this.#lastReport + this.expiryMs;
    if (now >= expires) return Number.POSITIVE_INFINITY;
    const blackoutEnds = this.#since + this.blackoutMs;
    return now < blackoutEnds ? Math.min(blackoutEnds, expires) : expires;
  }
}

/**
 * Weighted by load (gRPC's weighted_round_robin, gRFC A58, over the standard ORCA reports in the
 * `endpoint-load-metrics-bin` trailer, from any ORCA-speaking server): weights from the servers' own reports, used only after `blackoutMs` of steady
 * reporting and dropped `expiryMs` after the last report, so a stale report cannot stick.
 * Endpoints without a usable weight get the mean of the others. The picker is rebuilt at most
 * every `weightUpdatePeriodMs`, driven by reports rather than timers. With `oobReportPeriodMs` the
 * reports also come out of band (ORCA's OpenRcaService stream on each endpoint), as gRPC's
 * `enable_oob_load_report` does: for servers that report only so, and for endpoints between calls.
 */
export const weightedByLoad: PolicyFactory<WeightedByLoadOptions> = ({ clock, options, logger }): Policy => {
  const states = new EndpointStates(() => new LoadWeightState(options.blackoutMs, options.expiryMs));
  // Told from onOutcome, on the call path: a listener that throws is logged, never fails the call.
  const stale = new Emitter<void>('weighted-by-load stale', logger);
  let builtAt = Number.NEGATIVE_INFINITY;
  let nextChange = Number.POSITIVE_INFINITY;
  let reportsSinceBuild = false;

  const onOutcome = (state: LoadWeightState, result: AttemptResult): void => {
    const now = clock.now();
    if (result.load) {
      state.report(result.load, now);
      reportsSinceBuild = true;
    }
    const due = now - builtAt >= options.weightUpdatePeriodMs;
    if ((due && reportsSinceBuild) || now >= nextChange) {
      // Push the next check out until the rebuild lands, so one burst of outcomes asks only once.
      nextChange = Number.POSITIVE_INFINITY;
      reportsSinceBuild = false;
      builtAt = now;
      stale.emit();
    }
  };

  return {
    name: 'weighted-by-load',
    picker(endpoints) {
      const now = clock.now();
      const list = states.snapshot(endpoints);
      builtAt = now;
      nextChange = Math.min(...list.map((s) => s.nextChangeAfter(now)), Number.POSITIVE_INFINITY);
      return new LoadPicker(endpoints, list, weightsAt(list, now), onOutcome);
    },
    onStale(listener): Disposer {
      return stale.on(listener);
    },
    oobReportPeriodMs: options.oobReportPeriodMs,
    onLoadReport(endpointId, load) {
      const state = states.get(endpointId);
      if (state) onOutcome(state, { code: 0, latencyMs: 0, load });
    },
  };
};

/** Weights at `now`; endpoints without one get the mean of those with one (all 1 if none have). */
export function weightsAt(states: readonly LoadWeightState[], now: number): number[] {
  const weights = states.map((s) => s.weightAt(now));
  const known = weights.filter((w): w is number => w !== undefined);
  const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  return weights.map((w) => w ?? mean);
}

class LoadPicker implements Picker {
  readonly #inner: Picker;
  readonly #index: Map<string, number>;
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly states: readonly LoadWeightState[],
    weights: readonly number[],
    private readonly onOutcome: (state: LoadWeightState, result: AttemptResult) => void,
  ) {
    this.#inner = weightedPicker(endpoints, weights);
    this.#index = new Map(endpoints.map((e, i) => [e.id, i]));
  }

  pick(request: PickRequest): Pick {
    const endpoint = this.#inner.pick(request).endpoint;
    return new LoadPick(endpoint, this.states[this.#index.get(endpoint.id)!]!, this.onOutcome);
  }
}

class LoadPick implements Pick {
  #open = true;
  constructor(
    readonly endpoint: Endpoint,
    private readonly state: LoadWeightState,
    private readonly onOutcome: (state: LoadWeightState, result: AttemptResult) => void,
  ) {}
  done(result: AttemptResult): void {
    if (!this.#open) return;
    this.#open = false;
    this.onOutcome(this.state, result);
  }
}
