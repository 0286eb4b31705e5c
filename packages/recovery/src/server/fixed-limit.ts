import { InvalidRecoveryOptionError } from '../errors.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';

/** A limit that never moves: the load shedder over it is a hard cap on unary calls in flight. */
export class FixedLimit implements ConcurrencyLimit {
  /**
   * @param limit unary calls allowed in flight at once
   * @param option the setting `limit` came from, named in every refusal so an operator knows what to raise
   */
  constructor(
    readonly limit: number,
    private readonly option = 'limit',
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidRecoveryOptionError(option, `is ${limit}`, 'an integer ≥ 1');
    }
  }

  onSample(): number {
    return this.limit;
  }

  refusal(): string {
    return `server at its limit of ${this.limit} concurrent unary calls (${this.option}); retry later or elsewhere`;
  }
}
