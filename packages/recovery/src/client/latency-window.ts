/**
 * The last `size` latencies in a ring, for percentiles. A percentile is found by selection, not
 * by sorting: quickselect on a scratch copy is O(size) expected, where a sort of the window was
 * O(size log size) and allocated a copy each time.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  readonly #scratch: Float64Array;
  #count = 0;
  #next = 0;

  constructor(readonly size: number) {
    this.#samples = new Float64Array(size);
    this.#scratch = new Float64Array(size);
  }

  add(latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    this.#samples[this.#next] = latencyMs;
    this.#next = (this.#next + 1) % this.size;
    if (this.#count < this.size) this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  /** Nearest-rank percentile, q in [0, 1]; undefined with no samples. */
  percentile(q: number): number | undefined {
    const n = this.#count;
    if (n === 0) return undefined;
    const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    this.#scratch.set(n === this.size ? this.#samples : this.#samples.subarray(0, n));
    return selectRank(this.#scratch, n, rank);
  }
}

/**
 * The value of rank `k` (0-based) among the first `n` of `values`, as if sorted ascending;
 * reorders them. Hoare's selection with a median-of-three pivot: equal values split evenly, so a
 * window of identical latencies stays linear.
 */
export function selectRank(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = medianOfThree(values[lo]!, values[(lo + hi) >>> 1]!, values[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    // [lo, j] ≤ pivot ≤ [i, hi], and anything strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}
