/**
 * What an attempt's outcome says, decided once here and read by every part that reacts to
 * outcomes: outlier ejection, breakers, the peak-EWMA penalty, retry, hedging and metrics. A
 * protective refusal (a server shedding load) must never read as a failure of that server: it
 * means "go elsewhere", and ejecting the replica for it turns shedding into an outage.
 *
 * - `ok`: the endpoint answered with OK.
 * - `endpoint-failing`: the endpoint or the path to it failed — connection refused or reset,
 *   transport UNAVAILABLE, INTERNAL/UNKNOWN from the server, an attempt that ran past its
 *   deadline, a failed health check. A server's rapid-reset GOAWAY is one of these: the calls on
 *   that connection end INTERNAL ("Received RST_STREAM with code 2") or UNAVAILABLE ("Stream
 *   refused by server"), and either is retried on another connection or endpoint. Ejection, breakers and the latency penalty count these.
 * - `endpoint-overloaded`: RESOURCE_EXHAUSTED (shedding, a concurrency cap, usually with a
 *   pushback). Go elsewhere, after the pushback; never eject, never trip a breaker.
 * - `request-problem`: INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED… The endpoint worked; the
 *   request or the caller is wrong. Never an endpoint signal, never retried.
 * - `cancelled`: the caller gave up, or a hedge lost. No signal at all.
 */
export type Signal = 'ok' | 'endpoint-failing' | 'endpoint-overloaded' | 'request-problem' | 'cancelled';

/** gRPC status codes by name, as far as the taxonomy needs them. */
const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const BY_CODE: readonly Signal[] = Array.from({ length: 17 }, (_, code): Signal => {
  switch (code) {
    case Code.OK:
      return 'ok';
    case Code.CANCELLED:
      // A CANCELLED status the caller did not ask for is a stream reset by the peer (grpc-js
      // reports RST_STREAM CANCEL so): the endpoint dropped the call.
      return 'endpoint-failing';
    case Code.UNKNOWN:
    case Code.DEADLINE_EXCEEDED:
    case Code.INTERNAL:
    case Code.UNAVAILABLE:
      return 'endpoint-failing';
    case Code.RESOURCE_EXHAUSTED:
      return 'endpoint-overloaded';
    default:
      return 'request-problem';
  }
});

/**
 * The signal of an attempt that ended with `code`. `cancelledHere` says this side cancelled the
 * attempt (the caller aborted, a hedge lost): whatever status that produced, it is `cancelled`.
 */
export function classify(code: number, cancelledHere = false): Signal {
  if (cancelledHere) return 'cancelled';
  return BY_CODE[code] ?? 'request-problem';
}

/** Codes whose signal is `endpoint-failing`: the default failure codes of ejection and breakers. */
export const ENDPOINT_FAILURE_CODES: readonly number[] = codesOf('endpoint-failing');

/**
 * Codes a retry may follow by default: the endpoint failed or is overloaded, so another endpoint
 * may do better. DEADLINE_EXCEEDED is left out: the call's own deadline has passed.
 */
export const RETRYABLE_CODES: readonly number[] = [
  ...codesOf('endpoint-failing').filter((code) => code !== Code.DEADLINE_EXCEEDED),
  ...codesOf('endpoint-overloaded'),
];

/** Codes that must never count as a failure of an endpoint, whatever a user configures. */
export const NEVER_ENDPOINT_FAILURE_CODES: readonly number[] = codesOf('endpoint-overloaded');

function codesOf(signal: Signal): number[] {
  const codes: number[] = [];
  BY_CODE.forEach((s, code) => {
    if (s === signal) codes.push(code);
  });
  return codes;
}
