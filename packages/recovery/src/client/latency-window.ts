/** The last `size` latencies in a ring, for percentiles; pure and O(size log size) per query. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(readonly size: number) {}

  add(latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    if (this.samples.length < this.size) this.samples.push(latencyMs);
    else this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % this.size;
  }

  get count(): number {
    return this.samples.length;
  }

  /** Nearest-rank percentile, q in [0, 1]; undefined with no samples. */
  percentile(q: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank];
  }
}
