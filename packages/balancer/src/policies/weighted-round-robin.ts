import type { Endpoint } from '@ballast/core';
import { firstAllowed, isExcluded } from '../exclude.js';
import { plainPick, type Pick, type Picker, type PickRequest, type Policy, type PolicyFactory } from '../picker.js';
import { EdfScheduler } from './edf-scheduler.js';

/**
 * Up to this many weighted endpoints the picker runs nginx's smooth weighted round-robin exactly
 * (O(n) per pick); above it, an EDF scheduler with the same no-burst interleaving in O(log n).
 */
export const SMOOTH_WRR_MAX_ENDPOINTS = 64;

/**
 * Smooth weighted round-robin as nginx does it: the heaviest endpoint never gets its whole share
 * in a burst (weights 5,1,1 give a a b a c a a). Weight 0 takes no calls unless all are 0.
 */
export const weightedRoundRobin: PolicyFactory = (): Policy => ({
  name: 'weighted-round-robin',
  picker: (endpoints) => weightedPicker(endpoints, endpoints.map(weightOf)),
});

export function weightOf(endpoint: Endpoint): number {
  return endpoint.weight ?? 1;
}

/** A smooth weighted picker over `weights` (one per endpoint, finite, >= 0). */
export function weightedPicker(endpoints: readonly Endpoint[], weights: readonly number[]): Picker {
  const active = endpoints.map((_, i) => i).filter((i) => weights[i]! > 0);
  if (active.length === 0)
    return weightedPicker(
      endpoints,
      weights.map(() => 1),
    );
  if (active.length <= SMOOTH_WRR_MAX_ENDPOINTS) return new SmoothPicker(endpoints, weights, active);
  return new EdfPicker(endpoints, weights, active);
}

class SmoothPicker implements Picker {
  readonly #picks: readonly Pick[];
  readonly #weights: Float64Array;
  readonly #current: Float64Array;
  readonly #active: readonly Endpoint[];
  constructor(
    readonly endpoints: readonly Endpoint[],
    weights: readonly number[],
    active: readonly number[],
  ) {
    this.#active = active.map((i) => endpoints[i]!);
    this.#picks = this.#active.map(plainPick);
    this.#weights = Float64Array.from(active, (i) => weights[i]!);
    this.#current = new Float64Array(active.length);
  }
  pick(request: PickRequest): Pick {
    const allExcluded = request.exclude.size > 0 && this.#active.every((e) => isExcluded(e, request.exclude));
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.#active.length; i++) {
      // nginx skips peers that already failed this request; their weight still flows to the total.
      if (!allExcluded && isExcluded(this.#active[i]!, request.exclude)) continue;
      this.#current[i] = this.#current[i]! + this.#weights[i]!;
      total += this.#weights[i]!;
      if (best < 0 || this.#current[i]! > this.#current[best]!) best = i;
    }
    this.#current[best] = this.#current[best]! - total;
    return this.#picks[best]!;
  }
}

class EdfPicker implements Picker {
  readonly #picks: readonly Pick[];
  readonly #active: readonly Endpoint[];
  readonly #scheduler: EdfScheduler;
  constructor(
    readonly endpoints: readonly Endpoint[],
    weights: readonly number[],
    active: readonly number[],
  ) {
    this.#active = active.map((i) => endpoints[i]!);
    this.#picks = this.#active.map(plainPick);
    this.#scheduler = new EdfScheduler(active.map((i) => weights[i]!));
  }
  pick(request: PickRequest): Pick {
    const index = this.#scheduler.next();
    return this.#picks[firstAllowed(this.#active, index, request.exclude)]!;
  }
}
