/**
 * A request stream that a retried streaming call can send again from its start: the messages
 * read from the caller's iterable are kept until the call commits (its first response arrived,
 * after which it is never retried) or until `maxMessages` is passed, after which it can no longer
 * be replayed. Each attempt reads through `attempt()`; an attempt superseded by a newer one stops
 * reading, and a message it had asked for is not lost: it is kept for the newer one.
 */
export class ReplayableRequests<T> {
  readonly #source: AsyncIterator<T>;
  readonly #buffer: T[] = [];
  #pulling: Promise<IteratorResult<T>> | undefined;
  #ended = false;
  #committed = false;
  #overflowed = false;
  #generation = 0;

  constructor(
    source: AsyncIterable<T> | Iterable<T>,
    private readonly maxMessages: number,
  ) {
    this.#source =
      Symbol.asyncIterator in source
        ? source[Symbol.asyncIterator]()
        : (async function* () {
            yield* source;
          })();
  }

  /** Whether a new attempt can still send everything sent so far. */
  get replayable(): boolean {
    return !this.#committed && !this.#overflowed;
  }

  /** The call got a response: it will not be retried, so what was kept can go. */
  commit(): void {
    this.#committed = true;
    this.#buffer.length = 0;
  }

  /** The request stream for a new attempt: what was sent so far, then the rest as it comes. */
  async *attempt(): AsyncGenerator<T, void, undefined> {
    const generation = ++this.#generation;
    let index = 0;
    while (generation === this.#generation) {
      if (this.replayable && index < this.#buffer.length) {
        yield this.#buffer[index++]!;
        continue;
      }
      if (this.#ended) return;
      const kept = this.replayable;
      const result = await this.#pull();
      if (result.done) return;
      if (generation !== this.#generation) return; // kept for the newer attempt when replayable
      if (kept && this.replayable) index++;
      yield result.value;
    }
  }

  /** Ends the caller's iterable: the call is over. */
  async close(): Promise<void> {
    this.#generation++;
    this.#buffer.length = 0;
    if (!this.#ended) {
      this.#ended = true;
      await this.#source.return?.();
    }
  }

  /** The next message of the source; one read at a time, whichever attempt asks. */
  #pull(): Promise<IteratorResult<T>> {
    this.#pulling ??= this.#source.next().then(
      (result) => {
        this.#pulling = undefined;
        if (result.done) this.#ended = true;
        else if (this.replayable) {
          if (this.#buffer.length < this.maxMessages) this.#buffer.push(result.value);
          else {
            this.#overflowed = true;
            this.#buffer.length = 0;
          }
        }
        return result;
      },
      (error: unknown) => {
        this.#pulling = undefined;
        throw error;
      },
    );
    return this.#pulling;
  }
}
