import type { Disposer } from './disposer.js';
import { createLogger, type Logger } from './logger.js';

/**
 * A typed event: `on(listener)` returns the disposer that removes it; `emit(value)` calls every
 * listener in subscription order. A listener that throws is logged and skipped, never thrown into
 * the emitting code: events are emitted from timers and from the call path, where one bad
 * subscriber must not break the others or the call.
 */
export class Emitter<T> {
  readonly #listeners = new Set<(value: T) => void>();
  readonly #what: string;
  #logger: Logger | undefined;

  /** `what` names the event in the log line of a throwing listener: "endpoint state change". */
  constructor(what: string, logger?: Logger) {
    this.#what = what;
    this.#logger = logger;
  }

  on(listener: (value: T) => void): Disposer {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry = (value: T) => listener(value);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Like on(), removed after its first call. */
  once(listener: (value: T) => void): Disposer {
    const dispose = this.on((value) => {
      dispose();
      listener(value);
    });
    return dispose;
  }

  emit(value: T): void {
    // A listener may subscribe or unsubscribe while this runs: iterate over a copy.
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.#logger ??= createLogger('ballast.core.emitter');
        this.#logger.error({ err: error, event: this.#what }, 'event listener threw; the others still run');
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
