import type { Disposer, Endpoint, EndpointSource } from '@ballast/core';

/**
 * An EndpointSource that exists at once and fills in when an asynchronous one (a registry
 * discovery) resolves, so connect() can return a client synchronously. `ready` tells callers
 * whether the first list has arrived yet.
 */
export class DeferredSource implements EndpointSource {
  #inner: EndpointSource | undefined;
  #endpoints: readonly Endpoint[] = [];
  #closed = false;
  #stopInner: Disposer | undefined;
  readonly #listeners = new Set<(endpoints: readonly Endpoint[]) => void>();

  constructor(
    pending: Promise<EndpointSource>,
    private readonly onError: (error: unknown) => void,
  ) {
    pending.then(
      (inner) => {
        if (this.#closed) return void inner.close?.();
        this.#inner = inner;
        this.#stopInner = inner.subscribe((endpoints) => {
          this.#endpoints = endpoints;
          for (const listener of this.#listeners) listener(endpoints);
        });
      },
      (error: unknown) => onError(error),
    );
  }

  get ready(): boolean {
    return this.#inner !== undefined;
  }

  current(): readonly Endpoint[] {
    return this.#endpoints;
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    this.#listeners.add(listener);
    listener(this.#endpoints);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopInner?.();
    await this.#inner?.close?.();
  }
}
