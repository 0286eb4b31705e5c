/** How often a quiet connection is asked to answer, and how long it has to answer. */
export interface PingProbeTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** What a connection with calls open needs at a check. */
export type PingProbeStep =
  | { readonly type: 'alive' }
  | { readonly type: 'ping' }
  | { readonly type: 'waiting'; readonly sinceMs: number }
  | { readonly type: 'dead'; readonly silentMs: number };

/**
 * Decides, from what a connection has read, whether it can still carry its calls. A connection
 * that read something since the last check is alive and costs nothing; a quiet one is sent a PING;
 * one that neither answers nor sends anything for `timeoutMs` after that PING is dead. Bytes read
 * count as an answer because a PING acknowledgement is itself read, and because a session that has
 * stopped reading (nghttp2 after a connection error) can never show new bytes. Pure: time and the
 * byte count are passed in.
 */
export class PingProbe {
  #bytesRead: number;
  #pingAt: number | undefined;
  #checkedAt: number;

  constructor(
    private readonly timing: PingProbeTiming,
    now: number,
    bytesRead: number,
  ) {
    this.#checkedAt = now;
    this.#bytesRead = bytesRead;
  }

  /** One periodic check, with the connection's total of bytes read so far. */
  check(now: number, bytesRead: number): PingProbeStep {
    // A check far behind its time means this process stalled (a long GC, a blocked loop, SIGSTOP):
    // the answer may be sitting unread in the socket, so only an on-time check may declare death.
    const late = now - this.#checkedAt > 2 * this.timing.intervalMs;
    this.#checkedAt = now;
    if (bytesRead !== this.#bytesRead) {
      this.#bytesRead = bytesRead;
      this.#pingAt = undefined;
      return { type: 'alive' };
    }
    if (this.#pingAt === undefined) {
      this.#pingAt = now;
      return { type: 'ping' };
    }
    const sinceMs = now - this.#pingAt;
    return sinceMs >= this.timing.timeoutMs && !late
      ? { type: 'dead', silentMs: sinceMs }
      : { type: 'waiting', sinceMs };
  }

  /** The PING was acknowledged: the next quiet check sends another. */
  answered(): void {
    this.#pingAt = undefined;
  }
}
