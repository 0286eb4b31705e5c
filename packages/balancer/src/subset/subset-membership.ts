import type { Clock, Endpoint } from '@ballast/core';
import { DEFAULT_HOLD_DOWN_MS, SubsetHoldDown } from './hold-down.js';
import { chooseSubset, rankEndpoints, type Ranking, type SubsetOptions } from './rendezvous-subset.js';

/** How long a member that shed an attempt counts as overloaded when the subset is chosen. */
export const OVERLOAD_MEMORY_MS = 10_000;

/**
 * The state behind one client's subset: its rendezvous order (ranked once per endpoint list),
 * which endpoints were seen down, and which recently shed load. A member counts as unusable —
 * and the subset grows past it, keeping it — while the detector says it is down or ejected, or
 * for `OVERLOAD_MEMORY_MS` after it refused an attempt as overloaded (it stays a member and keeps
 * taking calls: shedding moves work, it never takes a replica out).
 */
export class SubsetMembership {
  #all: readonly Endpoint[] = [];
  #ranking: Ranking | undefined;
  #isUp: ((id: string) => boolean) | undefined;
  /** Seen down while still listed; kept when the subset drops them, so they are not taken back as new. */
  readonly #down = new Set<string>();
  /** Until when each member counts as overloaded. */
  readonly #overloaded = new Map<string, number>();
  readonly #holdDown: SubsetHoldDown;

  constructor(
    readonly options: SubsetOptions,
    private readonly clock: Clock,
  ) {
    this.#holdDown = new SubsetHoldDown(options.size, options.holdDownMs ?? DEFAULT_HOLD_DOWN_MS);
  }

  /** A new endpoint list from the source: verdicts on endpoints no longer listed are dropped. */
  setEndpoints(all: readonly Endpoint[]): void {
    this.#all = all;
    this.#ranking = undefined;
    const ids = new Set(all.map((e) => e.id));
    for (const id of this.#down) if (!ids.has(id)) this.#down.delete(id);
    for (const id of this.#overloaded.keys()) if (!ids.has(id)) this.#overloaded.delete(id);
  }

  /** Where verdicts on members come from (the detector). */
  followHealth(isUp: (id: string) => boolean): void {
    this.#isUp = isUp;
  }

  /**
   * A member refused an attempt as overloaded. Returns true when this may change the subset (a
   * member newly counted as overloaded).
   */
  noteOverloaded(id: string): boolean {
    const now = this.clock.now();
    const fresh = (this.#overloaded.get(id) ?? Number.NEGATIVE_INFINITY) <= now;
    this.#overloaded.set(id, now + OVERLOAD_MEMORY_MS);
    return fresh;
  }

  /**
   * Forgets overload marks whose time is up; true when one was forgotten (the subset may shrink
   * back) or a held-down member's time is up (it may be replaced now).
   */
  expire(): boolean {
    const now = this.clock.now();
    let expired = false;
    for (const [id, until] of this.#overloaded) {
      if (until > now) continue;
      this.#overloaded.delete(id);
      expired = true;
    }
    const next = this.#holdDown.nextExpiry();
    if (next !== undefined && next <= now) expired = true;
    return expired;
  }

  /** When the subset should be chosen again because a member's hold ends (undefined: none). */
  nextHoldExpiry(): number | undefined {
    return this.#holdDown.nextExpiry();
  }

  /** The members, given which endpoints currently hold a connection (`connected`). */
  members(connected: (id: string) => boolean): readonly Endpoint[] {
    if (this.#all.length <= this.options.size) return this.#all;
    this.#ranking ??= rankEndpoints(this.#all, this.options);
    const now = this.clock.now();
    const isUp = this.#isUp;
    const held =
      isUp === undefined
        ? new Set<string>()
        : this.#holdDown.held(this.#all.map((e) => e.id).filter(connected), isUp, now);
    const usable = (id: string) => {
      if ((this.#overloaded.get(id) ?? Number.NEGATIVE_INFINITY) > now) return false;
      if (isUp === undefined) return true;
      if (!connected(id)) return !this.#down.has(id);
      const up = isUp(id);
      if (up) this.#down.delete(id);
      else this.#down.add(id);
      return up || held.has(id);
    };
    return chooseSubset(this.#ranking, usable, this.options);
  }
}
