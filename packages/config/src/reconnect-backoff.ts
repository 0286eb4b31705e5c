import { ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel';

/**
 * How the store's shells pace their attempts to get back to etcd after a failure (the startup
 * probe, a watch reopening, a mirror re-reading, a registration re-registering): 100 ms, doubling,
 * at most 2 s. No jitter: these retries are per process and few, and tests read the delays.
 */
const RECONNECT = new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: 100, maxDelay: 2_000 });

/** A fresh sequence of reconnect delays: each call to `next()` gives the next delay in ms. */
export class ReconnectBackoff {
  #step: IBackoff<unknown> | undefined;

  /** The delay before the next attempt. */
  next(): number {
    this.#step = this.#step ? this.#step.next(undefined) : RECONNECT.next();
    return this.#step.duration;
  }

  /** The delay `next()` will give, without taking it. */
  peek(): number {
    return (this.#step ? this.#step.next(undefined) : RECONNECT.next()).duration;
  }

  /** Back to the first delay, after an attempt succeeded. */
  reset(): void {
    this.#step = undefined;
  }
}
