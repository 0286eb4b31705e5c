/** How a call's response sequence ended: read to its end, failed, or given up by its consumer. */
export type CallEnd =
  { readonly type: 'completed' } | { readonly type: 'failed'; readonly error: unknown } | { readonly type: 'stopped' };

const COMPLETED: CallEnd = { type: 'completed' };
const STOPPED: CallEnd = { type: 'stopped' };

/**
 * `inner`, unchanged, with `onEnd` called once when it ends. The same as wrapping it in
 * `async function* () { try { return yield* inner } catch … finally … }`, which is how
 * middleware observes a call, but with no suspended generator per call: a unary call through a
 * client with 64 calls in flight keeps one object here instead of a generator and its promises.
 */
export function observeEnd<T, R>(
  inner: AsyncGenerator<T, R, undefined>,
  onEnd: (end: CallEnd) => void,
): AsyncGenerator<T, R, undefined> {
  return new EndObserver(inner, onEnd);
}

class EndObserver<T, R> implements AsyncGenerator<T, R, undefined> {
  #ended = false;

  constructor(
    private readonly inner: AsyncGenerator<T, R, undefined>,
    private readonly onEnd: (end: CallEnd) => void,
  ) {}

  next(...value: [] | [undefined]): Promise<IteratorResult<T, R>> {
    return this.#watch(this.inner.next(...value), COMPLETED);
  }

  return(value: R | PromiseLike<R>): Promise<IteratorResult<T, R>> {
    return this.#watch(this.inner.return(value), STOPPED);
  }

  throw(error: unknown): Promise<IteratorResult<T, R>> {
    return this.#watch(this.inner.throw(error), COMPLETED);
  }

  [Symbol.asyncIterator](): AsyncGenerator<T, R, undefined> {
    return this;
  }

  async #watch(step: Promise<IteratorResult<T, R>>, endWhenDone: CallEnd): Promise<IteratorResult<T, R>> {
    let result: IteratorResult<T, R>;
    try {
      result = await step;
    } catch (error) {
      this.#end({ type: 'failed', error });
      throw error;
    }
    if (result.done) this.#end(endWhenDone);
    return result;
  }

  #end(end: CallEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.onEnd(end);
  }
}
