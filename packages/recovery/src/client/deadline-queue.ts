import type { Scheduler, TimerHandle } from '@ballast/core';

/** A callback waiting in a DeadlineQueue until `at` (the scheduler's time), unless cancelled. */
export interface Deadline {
  readonly at: number;
}

interface Entry extends Deadline {
  readonly order: number;
  readonly callback: (target: unknown) => void;
  /** What the callback is given: one function for many deadlines, no closure per deadline. */
  readonly target: unknown;
  /** Fired or cancelled: the entry only waits to leave the heap. */
  over: boolean;
}

/**
 * Many deadlines on one timer: a min-heap of deadlines with a single scheduler timer armed for
 * the earliest. A call that ends before its deadline only marks its entry, and the entry leaves
 * the heap when its time comes; so a busy client pays a heap push per call instead of creating
 * and clearing a timer per call, as grpc-js's and Finagle's shared timers do. With no deadline
 * left waiting the timer is cleared, so an idle client holds none.
 */
export class DeadlineQueue {
  readonly #heap: Entry[] = [];
  #waiting = 0;
  #order = 0;
  #timer: TimerHandle | undefined;
  #armedAt = Infinity;

  constructor(private readonly scheduler: Scheduler) {}

  /** Runs `callback(target)` after `delayMs`, unless cancel() comes first. */
  add(delayMs: number, callback: () => void): Deadline;
  add<T>(delayMs: number, callback: (target: T) => void, target: T): Deadline;
  add(delayMs: number, callback: (target: unknown) => void, target?: unknown): Deadline {
    const entry: Entry = { at: this.scheduler.now() + delayMs, order: this.#order++, callback, target, over: false };
    this.#push(entry);
    this.#waiting++;
    if (entry.at < this.#armedAt) this.#arm(entry.at);
    return entry;
  }

  /** Drops `deadline` if it has not fired; idempotent. */
  cancel(deadline: Deadline): void {
    const entry = deadline as Entry;
    if (entry.over) return;
    entry.over = true;
    if (--this.#waiting === 0) this.#clear();
  }

  /** Deadlines not yet fired nor cancelled. */
  get waiting(): number {
    return this.#waiting;
  }

  readonly #fire = () => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.scheduler.now();
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.at <= now) {
      const entry = this.#pop();
      if (entry.over) continue;
      entry.over = true;
      this.#waiting--;
      entry.callback(entry.target);
    }
    if (this.#waiting === 0) this.#clear();
    else if (heap.length > 0 && heap[0]!.at < this.#armedAt) this.#arm(heap[0]!.at);
  };

  #arm(at: number): void {
    this.scheduler.clearTimeout(this.#timer);
    this.#armedAt = at;
    // unref: a deadline waits on a call in flight, which keeps the process alive by itself.
    this.#timer = this.scheduler.setTimeout(this.#fire, at - this.scheduler.now(), { unref: true });
  }

  #clear(): void {
    this.#heap.length = 0;
    this.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!earlier(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** Earlier deadline first; the same deadline in the order added. */
function earlier(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
