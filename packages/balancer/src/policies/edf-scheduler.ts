/**
 * Earliest-deadline-first over weights: each entry is due every 1/weight, the earliest due entry
 * is picked and pushed back by its period. Interleaves like smooth weighted round-robin but costs
 * O(log n) per pick instead of O(n), so it is what large endpoint sets use. Ties go to the lower
 * index, which keeps the sequence deterministic.
 */
export class EdfScheduler {
  readonly #period: Float64Array;
  readonly #due: Float64Array;
  readonly #heap: Int32Array;

  /**
   * `weights` must be > 0. Entry i is first due at period × (i + 1) / n: staggered starts, so a
   * heavy entry interleaves with the light ones from the first round instead of bursting.
   */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.#period = new Float64Array(n);
    this.#due = new Float64Array(n);
    this.#heap = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.#period[i] = 1 / weights[i]!;
      this.#due[i] = (this.#period[i]! * (i + 1)) / n;
      this.#heap[i] = i;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The index that is due first, rescheduled one period later. */
  next(): number {
    const top = this.#heap[0]!;
    this.#due[top] = this.#due[top]! + this.#period[top]!;
    this.#siftDown(0);
    return top;
  }

  #less(a: number, b: number): boolean {
    const da = this.#due[a]!;
    const db = this.#due[b]!;
    return da < db || (da === db && a < b);
  }

  #siftDown(position: number): void {
    const heap = this.#heap;
    const n = heap.length;
    let i = position;
    const item = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#less(heap[right]!, heap[left]!) ? right : left;
      if (!this.#less(heap[child]!, item)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = item;
  }
}
