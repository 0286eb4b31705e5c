import type { Clock, Endpoint, Random } from '@ballast/core';
import type { Pick, Picker, PickRequest } from '../picker.js';
import { slowStartFactor, type SlowStartOptions } from './slow-start.js';

/** A pick turned down before any attempt: the child picker hears of it as cancelled (no signal). */
const NOT_SENT = { code: 1, signal: 'cancelled', latencyMs: 0 } as const;

/**
 * Slow start over any picker: when the child picks an endpoint still in its ramp, the pick is
 * kept with probability `slowStartFactor` and otherwise made again without it. The endpoint's
 * share is then its healthy share × the factor — never more — whatever the policy, and a pick
 * costs at most two child picks.
 */
export class SlowStartPicker implements Picker {
  readonly endpoints: readonly Endpoint[];

  constructor(
    private readonly child: Picker,
    /** When each ramping endpoint became eligible; endpoints not in it are at full share. */
    private readonly since: ReadonlyMap<string, number>,
    private readonly options: SlowStartOptions,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.endpoints = child.endpoints;
  }

  pick(request: PickRequest): Pick {
    const pick = this.child.pick(request);
    const id = pick.endpoint.id;
    const start = this.since.get(id);
    if (start === undefined || request.exclude.has(id)) return pick;
    const factor = slowStartFactor(this.clock.now() - start, this.options);
    if (factor >= 1 || this.random() < factor) return pick;
    pick.done(NOT_SENT);
    return this.child.pick({ ...request, exclude: new Set([...request.exclude, id]) });
  }
}

/**
 * Which endpoints are ramping: keeps, per endpoint id, when it last became eligible, and forgets
 * it once its window has passed. The first non-empty list seen starts no ramp (a client starting
 * up has nothing to protect its endpoints from but itself).
 */
export class SlowStartTracker {
  readonly #since = new Map<string, number>();
  #eligible: ReadonlySet<string> | undefined;

  constructor(
    private readonly options: SlowStartOptions,
    private readonly clock: Clock,
  ) {}

  /** Records the new eligible set; returns the ramp starts for the picker built over it. */
  update(eligible: readonly Endpoint[]): ReadonlyMap<string, number> {
    const now = this.clock.now();
    const ids = new Set(eligible.map((e) => e.id));
    if (this.#eligible !== undefined && this.#eligible.size > 0) {
      for (const id of ids) if (!this.#eligible.has(id)) this.#since.set(id, now);
    }
    for (const [id, start] of this.#since) {
      if (!ids.has(id) || now - start >= this.options.windowMs) this.#since.delete(id);
    }
    this.#eligible = ids;
    return new Map(this.#since);
  }

  /** When the last ramp ends (ms on the clock), or undefined when none is ramping. */
  rampEnds(): number | undefined {
    let last: number | undefined;
    for (const start of this.#since.values()) last = Math.max(last ?? 0, start + this.options.windowMs);
    return last;
  }
}
