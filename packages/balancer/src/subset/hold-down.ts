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
 * Which down members of a subset keep their place, from when each was seen down. Pure: the
 * caller passes the time and the members' state at every choice.
 *
 * Replacements that go down too are the sign that the cause is not the members (the whole fleet,
 * or this client, is short of CPU): a newcomer seen down within `holdMs` of joining stops all
 * replacement for `holdMs`, so the subset stops churning; the panic threshold then spreads calls
 * over every member. Newcomers from a healthy zone stay up and never trigger it.
 */
export class SubsetHoldDown {
  /** When each connected member was first seen down, while it stays down. */
  readonly #downSince = new Map<string, number>();
  /** Members whose hold is over: they are replaced (and stay connected beside the newcomer). */
  readonly #released = new Set<string>();
  /** When each connected endpoint joined; those of the first fill are not newcomers. */
  readonly #joinedAt = new Map<string, number>();
  #filled = false;
  #blockedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly size: number,
    private readonly holdMs: number,
  ) {}

  /**
   * The connected members that keep their place though down: seen down less than `holdMs` ago
   * while no more than `HOLD_DOWN_SHARE` of the subset is down, or any while replacement is stopped.
   * `connected` lists the endpoints holding a connection, `isUp` says which are up.
   */
  held(connected: readonly string[], isUp: (id: string) => boolean, now: number): Set<string> {
    const down: string[] = [];
    const present = new Set(connected);
    for (const id of this.#joinedAt.keys()) if (!present.has(id)) this.#joinedAt.delete(id);
    for (const id of [...this.#downSince.keys()]) if (!present.has(id)) this.#forget(id);
    for (const id of connected) {
      if (!this.#joinedAt.has(id)) this.#joinedAt.set(id, this.#filled ? now : Number.NEGATIVE_INFINITY);
      if (isUp(id)) {
        this.#forget(id);
        continue;
      }
      if (!this.#downSince.has(id)) {
        this.#downSince.set(id, now);
        if (now - this.#joinedAt.get(id)! < this.holdMs) this.#blockedUntil = now + this.holdMs;
      }
      down.push(id);
    }
    if (connected.length > 0) this.#filled = true;
    const held = new Set<string>();
    if (this.holdMs <= 0) {
      for (const id of down) this.#released.add(id);
      return held;
    }
    const blocked = now < this.#blockedUntil;
    const tooMany = down.length > Math.floor(this.size * HOLD_DOWN_SHARE);
    for (const id of down) {
      const expired = now - this.#downSince.get(id)! >= this.holdMs;
      if (this.#released.has(id) || (!blocked && (tooMany || expired))) this.#released.add(id);
      else held.add(id);
    }
    return held;
  }

  /** When the subset should be chosen again because a hold or a stop ends (undefined: none). */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const [id, since] of this.#downSince) {
      if (this.#released.has(id)) continue;
      next = Math.min(next ?? Number.POSITIVE_INFINITY, Math.max(since + this.holdMs, this.#blockedUntil));
    }
    return next;
  }

  #forget(id: string): void {
    this.#downSince.delete(id);
    this.#released.delete(id);
  }
}
