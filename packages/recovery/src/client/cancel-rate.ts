import type { Clock } from '@ballast/core';

/**
 * Cancellations each endpoint may take from this client: a token bucket per endpoint (`burst`,
 * refilled at `perSecond`). Every cancelled attempt sends an HTTP/2 RST_STREAM, and a Node server
 * (nghttp2's rapid-reset protection: a burst of 1 000, then about 33 a second) closes a connection
 * that sends more with GOAWAY, failing every call on it INTERNAL. Kept well under that, a client's
 * hedge losers can never trip it.
 */
export class CancelRate {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {}

  /** Whether `endpointId` can take a cancellation now (takes nothing). */
  available(endpointId: string): boolean {
    return this.#refill(endpointId).tokens >= 1;
  }

  /** Takes one cancellation for `endpointId`; false when its rate is spent. */
  tryTake(endpointId: string): boolean {
    const bucket = this.#refill(endpointId);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #refill(endpointId: string) {
    const now = this.clock.now();
    let bucket = this.#buckets.get(endpointId);
    if (bucket === undefined) {
      // Ids of endpoints long gone would pile up over a long life: start again when there are many.
      if (this.#buckets.size >= 4_096) this.#buckets.clear();
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(endpointId, bucket);
    }
    const elapsed = now - bucket.at;
    if (elapsed > 0) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.perSecond) / 1_000);
      bucket.at = now;
    }
    return bucket;
  }
}
