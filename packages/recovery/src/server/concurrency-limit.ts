import type { LimitSample } from './vegas-limit.js';

/**
 * What the load shedder asks of a limit: how many unary calls may be in flight now, learning from
 * each finished call. VegasLimit adapts; FixedLimit never moves, which makes the shedder a hard cap.
 */
export interface ConcurrencyLimit {
  readonly limit: number;
  /** Learns from one finished call; returns the limit from now on. */
  onSample(sample: LimitSample): number;
  /** The refusal the caller reads when the limit is reached; the shedder's own wording when absent. */
  refusal?(inFlight: number, pushbackMs: number): string;
}

/** Whether `value` is a ConcurrencyLimit instance rather than options for a VegasLimit. */
export function isConcurrencyLimit(value: unknown): value is ConcurrencyLimit {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { onSample?: unknown }).onSample === 'function' &&
    typeof (value as { limit?: unknown }).limit === 'number'
  );
}
