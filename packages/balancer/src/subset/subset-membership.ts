import type { Clock, Endpoint } from '@ballast/core';
import { chooseSubset, rankEndpoints, type Ranking, type SubsetOptions } from './rendezvous-subset.js';

/** How long a member that shed an attempt counts as overloaded when the subset is chosen. */
export const OVERLOAD_MEMORY_MS = 10_000;

/**
 * How long a member seen down keeps its place before another endpoint takes it. A replica
 * starved of CPU misses a probe and answers again seconds later; replacing it at once opens a
 * connection, a health stream and probes to a newcomer (more work for a fleet already short of
 * CPU), then drops the newcomer when it returns. Picks skip it meanwhile, so the client loses
 * only that member's share of its capacity.
 */
export const DEFAULT_HOLD_DOWN_MS = 10_000;

/**
 * Share of the subset that may be held down at once. Past it (a zone dying, a wide outage) every
 * down member is replaced at once: capacity matters more than stability then.
 */
export const HOLD_DOWN_SHARE = 0.25;

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
  /** When each connected member was first seen down, while it stays down. */
  readonly #downSince = new Map<string, number>();

  constructor(
    readonly options: SubsetOptions,
    private readonly clock: Clock,
  ) {}

  /** A new endpoint list from the source: verdicts on endpoints no longer listed are dropped. */
  setEndpoints(all: readonly Endpoint[]): void {
    this.#all = all;
    this.#ranking = undefined;
    const ids = new Set(all.map((e) => e.id));
    for (const id of this.#down) if (!ids.has(id)) this.#down.delete(id);
    for (const id of this.#overloaded.keys()) if (!ids.has(id)) this.#overloaded.delete(id);
    for (const id of this.#downSince.keys()) if (!ids.has(id)) this.#downSince.delete(id);
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
    const next = this.nextHoldExpiry();
    if (next !== undefined && next <= now) expired = true;
    return expired;
  }

  /** When the earliest member held down loses its place (undefined: none is held). */
  nextHoldExpiry(): number | undefined {
    const holdMs = this.#holdMs();
    let next: number | undefined;
    for (const [id, since] of this.#downSince) {
      if (this.#released.has(id)) continue;
      next = Math.min(next ?? Number.POSITIVE_INFINITY, since + holdMs);
    }
    return next;
  }

  /** Members whose hold is over: they are replaced (and stay connected beside the newcomer). */
  readonly #released = new Set<string>();

  #holdMs(): number {
    return this.options.holdDownMs ?? DEFAULT_HOLD_DOWN_MS;
  }

  /** The members, given which endpoints currently hold a connection (`connected`). */
  members(connected: (id: string) => boolean): readonly Endpoint[] {
    if (this.#all.length <= this.options.size) return this.#all;
    this.#ranking ??= rankEndpoints(this.#all, this.options);
    const now = this.clock.now();
    const isUp = this.#isUp;
    const held = isUp === undefined ? new Set<string>() : this.#heldDown(connected, isUp, now);
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

  /**
   * The connected members that are down but keep their place: seen down less than `holdDownMs`
   * ago, while no more than `HOLD_DOWN_SHARE` of the subset is down.
   */
  #heldDown(connected: (id: string) => boolean, isUp: (id: string) => boolean, now: number): Set<string> {
    const down: string[] = [];
    for (const endpoint of this.#all) {
      const id = endpoint.id;
      if (!connected(id) || isUp(id)) {
        this.#downSince.delete(id);
        this.#released.delete(id);
        continue;
      }
      if (!this.#downSince.has(id)) this.#downSince.set(id, now);
      down.push(id);
    }
    const holdMs = this.#holdMs();
    const held = new Set<string>();
    if (holdMs <= 0 || down.length > Math.floor(this.options.size * HOLD_DOWN_SHARE)) {
      for (const id of down) this.#released.add(id);
      return held;
    }
    for (const id of down) {
      if (this.#released.has(id) || now - this.#downSince.get(id)! >= holdMs) this.#released.add(id);
      else held.add(id);
    }
    return held;
  }
}
