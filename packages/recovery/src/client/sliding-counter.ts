/** A count over the last `windowMs`, kept in `buckets` slots; time is passed in, so it is pure. */
export class SlidingCounter {
  private readonly counts: number[];
  private readonly bucketMs: number;
  private index = 0;
  private bucketStart: number | undefined;

  constructor(
    readonly windowMs: number,
    readonly buckets: number,
  ) {
    this.counts = new Array<number>(buckets).fill(0);
    this.bucketMs = windowMs / buckets;
  }

  add(now: number, amount = 1): void {
    this.advance(now);
    this.counts[this.index]! += amount;
  }

  total(now: number): number {
    this.advance(now);
    let sum = 0;
    for (const count of this.counts) sum += count;
    return sum;
  }

  clear(now: number): void {
    this.counts.fill(0);
    this.bucketStart = now;
  }

  private advance(now: number): void {
    if (this.bucketStart === undefined) {
      this.bucketStart = now;
      return;
    }
    const elapsed = Math.floor((now - this.bucketStart) / this.bucketMs);
    if (elapsed <= 0) return;
    for (let i = 0; i < Math.min(elapsed, this.buckets); i++) {
      this.index = (this.index + 1) % this.buckets;
      this.counts[this.index] = 0;
    }
    this.bucketStart += elapsed * this.bucketMs;
  }
}
