import type { AttemptObserver, CallEvent } from './attempt-observer.js';
import type { Signal } from './signal.js';

/**
 * Why an attempt was sent: the call's first, a retry after a failure (or a move), or a hedge sent
 * while an earlier attempt was still working.
 */
export type AttemptKind = 'first' | 'retry' | 'hedge';

/** One attempt of a call: the endpoint it went to and, once ended, how. */
export interface AttemptRecord {
  readonly endpointId: string;
  /** 1 for the call's first attempt, then 2, 3… in the order they were sent. */
  readonly number: number;
  readonly kind: AttemptKind;
  /** gRPC status once the attempt ended; undefined while it is in flight. */
  code: number | undefined;
  signal: Signal | undefined;
  /** Why the attempt was taken off its endpoint and left to be re-issued, when it was. */
  movedBecause: string | undefined;
  /**
   * Ends the attempt from the client side (an RST_STREAM to its endpoint), set by the transport
   * that sent it when it can; a layer that started several attempts of one call (hedging) cancels
   * the losers through it without giving each attempt a signal of its own.
   */
  cancel: (() => void) | undefined;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The balancer's own view of how fast its endpoints answer, as the call's layers may ask it when
 * they decide on another attempt (hedging asks whether a backup is likely to beat the primary).
 */
export interface LatencyEstimates {
  /** The latency an attempt on `endpointId` typically takes, ms; undefined when not known. */
  of(endpointId: string): number | undefined;
  /** The lowest such estimate among the endpoints a new attempt could go to, leaving out `avoid`. */
  bestExcept(avoid: ReadonlySet<string>): number | undefined;
}

/**
 * Everything one logical call knows about itself, shared in process by the layers that act on
 * it: retry and hedging read it to decide on the next attempt, the balanced channel writes each
 * attempt's endpoint and outcome into it and reads it at pick time to keep attempts apart.
 * Nothing of it goes on the wire.
 */
export class CallContext {
  readonly attempts: AttemptRecord[] = [];
  /** Retries the retry layer has decided on (attempts it sent again after a failure). */
  retries = 0;
  /** Backup attempts hedging has sent. */
  hedges = 0;
  /** Whether a new attempt avoids the endpoints where this call already failed (failover). */
  avoidFailed = true;
  /** Wait for an endpoint (up to the deadline) instead of failing fast when none is eligible. */
  waitForReady = false;
  /** When the whole call must be over, epoch ms (Infinity: no deadline). */
  deadlineAt = Infinity;
  /**
   * Whether an attempt may be cancelled and sent again elsewhere: set by the retry layer for
   * idempotent methods and calls that opted in, when retries are on. The balanced channel moves
   * such attempts off an endpoint that is taken out; others keep waiting on it.
   */
  movable = false;
  /**
   * Asks the layer that re-issues a moved attempt to set aside what the re-issue costs (an
   * attempt and a retry from the budget): true when it did, set by the retry layer. A move it
   * could not pay for would turn a call still running into a failure, so the attempt then stays
   * where it is; paying at the move means many attempts moved at once cannot overdraw the budget.
   */
  reserveReissue: (() => boolean) | undefined = undefined;
  /**
   * How many endpoints the balancer could choose from at the latest pick (undefined: no balanced
   * channel below). Hedging sends no backup when none is left beside those the call avoids (in
   * flight on it, or failed): a backup on the same replica only doubles its load.
   */
  eligibleEndpoints: number | undefined = undefined;
  /** The balancer's latency estimates (set at each pick; undefined when its policy keeps none). */
  estimates: LatencyEstimates | undefined = undefined;
  /** The server's `grpc-retry-pushback-ms` on the latest failed attempt (negative: do not retry). */
  pushbackMs: number | undefined = undefined;
  /** Sees each attempt begin and end and each event (tracing installs one); none by default. */
  observer: AttemptObserver | undefined = undefined;
  /** Retries and hedges already matched to an attempt (see begin). */
  #retriesSent = 0;
  #hedgesSent = 0;

  constructor(
    /** Full method path, "/package.Service/Method". */
    readonly method: string,
  ) {}

  /**
   * Starts an attempt on `endpointId`. Its kind follows what the layers above counted: a hedge
   * or retry they decided on and no attempt has taken yet.
   */
  begin(endpointId: string): AttemptRecord {
    let kind: AttemptKind = 'first';
    if (this.hedges > this.#hedgesSent) {
      kind = 'hedge';
      this.#hedgesSent++;
    } else if (this.retries > this.#retriesSent) {
      kind = 'retry';
      this.#retriesSent++;
    } else if (this.attempts.length > 0) {
      // Sent again by a layer that did not count it (a retry middleware of the caller's own).
      kind = 'retry';
    }
    const record: AttemptRecord = {
      endpointId,
      number: this.attempts.length + 1,
      kind,
      code: undefined,
      signal: undefined,
      movedBecause: undefined,
      cancel: undefined,
    };
    this.attempts.push(record);
    return record;
  }

  /** Tells the observer, if any, of something a layer decided about this call. */
  note(event: CallEvent): void {
    this.observer?.event(event);
  }

  /** The latest attempt to have ended, if any. */
  lastEnded(): AttemptRecord | undefined {
    for (let i = this.attempts.length - 1; i >= 0; i--) {
      const attempt = this.attempts[i]!;
      if (attempt.code !== undefined) return attempt;
    }
    return undefined;
  }

  /**
   * Endpoints the next attempt should avoid when another one can take it: those where an attempt
   * of this call failed, was refused or was moved off, and those still working on it (a hedge
   * must not land on the replica it hedges against).
   */
  avoid(): ReadonlySet<string> {
    const attempts = this.attempts;
    if (attempts.length === 0) return NONE;
    const ids = new Set<string>();
    for (const attempt of attempts) {
      const signal = attempt.signal;
      const failed = signal === 'endpoint-failing' || signal === 'endpoint-overloaded';
      const moved = attempt.movedBecause !== undefined;
      if (signal === undefined || moved || (failed && this.avoidFailed)) ids.add(attempt.endpointId);
    }
    return ids;
  }

  /** Attempts still in flight. */
  inFlight(): number {
    let count = 0;
    for (const attempt of this.attempts) if (attempt.code === undefined) count++;
    return count;
  }
}

/**
 * The call-option key under which a call's context travels between Ballast's layers. A symbol,
 * so it cannot collide with a caller's option or be serialised onto the wire.
 */
export const CALL_CONTEXT: unique symbol = Symbol.for('ballast.call-context');

export type CallContextOptions = { [CALL_CONTEXT]?: CallContext };

/** The call's context from its options, if an outer layer made one. */
export function callContextOf(options: object): CallContext | undefined {
  return (options as CallContextOptions)[CALL_CONTEXT];
}
