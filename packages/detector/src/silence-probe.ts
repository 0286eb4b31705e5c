/**
 * When to ask an endpoint whether it is alive, and when its silence means it is not. An endpoint
 * that answers calls proves it is alive with every answer, so it is asked only after it has been
 * silent for a while: `busyAfterMs` while calls are waiting on it (they hang if it froze), the
 * longer `idleAfterMs` while none are. A probe not answered within `timeoutMs` marks it
 * unresponsive until the next sign of life. Pure: the caller passes the time of every event.
 *
 * Cost: a connection that carries answers sends no probe; a silent one sends one per
 * `idleAfterMs` (no calls) or per `busyAfterMs` (calls waiting, none answered). Detection of a
 * frozen endpoint with calls waiting: at most `busyAfterMs + timeoutMs` after its last answer,
 * plus the caller's tick.
 */
export interface SilenceProbeOptions {
  /** Silence after which an endpoint with calls waiting on it is probed. */
  readonly busyAfterMs: number;
  /** Silence after which an endpoint with no calls waiting is probed. */
  readonly idleAfterMs: number;
  /** A probe unanswered this long marks the endpoint unresponsive (the caller times it). */
  readonly timeoutMs: number;
  /** Probes answered with an error, in a row, that mark the endpoint failing. */
  readonly failureThreshold: number;
}

/** What the probe history says about the endpoint now. */
export type ProbeVerdict = 'alive' | 'unresponsive' | 'failing';

export class SilenceProbe {
  readonly #options: SilenceProbeOptions;
  /** Last sign of life; undefined until the first, so a new endpoint is probed at once. */
  #heardAt: number | undefined;
  #sentAt: number | undefined;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  /** A probe went unanswered and nothing has been heard since. */
  #timedOut = false;
  #failures = 0;
  /** A call failed on the endpoint: ask at once instead of waiting out the silence. */
  #suspect = false;

  constructor(options: SilenceProbeOptions) {
    this.#options = options;
  }

  get options(): SilenceProbeOptions {
    return this.#options;
  }

  /** The endpoint answered something (a call, a status push, a probe): it was alive at `now`. */
  heard(now: number): void {
    this.#heardAt = Math.max(now, this.#heardAt ?? now);
    this.#timedOut = false;
    this.#failures = 0;
    this.#suspect = false;
  }

  /** A call on the endpoint failed in a way that may be the endpoint's: probe at the next tick. */
  suspect(): void {
    this.#suspect = true;
  }

  /**
   * Whether to send a probe at `now`. `busy`: calls are waiting on the endpoint. After a failed or
   * unanswered probe the next one waits `busyAfterMs`, so a dead endpoint costs no more than a
   * silent busy one.
   */
  due(now: number, busy: boolean): boolean {
    if (this.#sentAt !== undefined) return false;
    if (now - this.#lastSentAt < this.#options.busyAfterMs && (this.#failures > 0 || this.#timedOut)) return false;
    if (this.#heardAt === undefined || this.#suspect || this.#failures > 0 || this.#timedOut) return true;
    return now - this.#heardAt >= (busy ? this.#options.busyAfterMs : this.#options.idleAfterMs);
  }

  /** A probe left at `now`. */
  sent(now: number): void {
    this.#sentAt = now;
    this.#lastSentAt = now;
    this.#suspect = false;
  }

  /** The probe was answered at `now`. */
  answered(now: number): void {
    this.#sentAt = undefined;
    this.heard(now);
  }

  /**
   * The probe ended without an answer: an error from the path (refused, reset), or no answer
   * within `timeoutMs` (`timedOut`; the caller times the probe). A probe outlived by a sign of
   * life (a call answered after it left) says nothing. Silence only means frozen once the
   * endpoint has been heard: before that, a probe lost to a slow first connection counts as one
   * failure, as an error does.
   */
  failed(timedOut: boolean): void {
    const sentAt = this.#sentAt;
    this.#sentAt = undefined;
    if (timedOut && this.#heardAt !== undefined && sentAt !== undefined && this.#heardAt >= sentAt) return;
    if (timedOut && this.#heardAt !== undefined) this.#timedOut = true;
    else this.#failures++;
  }

  verdict(): ProbeVerdict {
    if (this.#timedOut) return 'unresponsive';
    return this.#failures >= this.#options.failureThreshold ? 'failing' : 'alive';
  }

  /** Time of the last sign of life, if any. */
  get heardAt(): number | undefined {
    return this.#heardAt;
  }
}
