import type { AttemptRecord } from './call-context.js';
import type { Endpoint } from './endpoint.js';

/**
 * Something a layer decided about a call besides sending an attempt: a breaker refused it (the
 * method's breaker, or an endpoint's half-open breaker at its probe limit), the retry budget
 * refused a retry or a hedge, or an attempt was moved off an endpoint taken out of rotation.
 */
export type CallEvent =
  | { readonly type: 'breaker-refused'; readonly scope: 'method' | 'endpoint'; readonly name: string }
  | { readonly type: 'budget-refused'; readonly refused: 'retry' | 'hedge' }
  | { readonly type: 'moved'; readonly endpointId: string; readonly reason: string };

/**
 * Watches one call's attempts as the balanced channel sends and ends them, and the call's events
 * as the layers decide them: how tracing (or any other per-call instrument) sees a call from
 * inside without a layer of its own per attempt. Installed on the CallContext by the outermost
 * layer that wants it; every method is called synchronously on the call's path, so keep it cheap.
 */
export interface AttemptObserver {
  /**
   * An attempt is about to go to `endpoint`. The headers returned go on the wire with this
   * attempt only, replacing any of the same name (a trace context naming this attempt).
   */
  attemptStarted(attempt: AttemptRecord, endpoint: Endpoint): Readonly<Record<string, string>> | undefined;
  /** The attempt ended: its code, signal and, when it was moved, why, are set. */
  attemptEnded(attempt: AttemptRecord): void;
  event(event: CallEvent): void;
}
