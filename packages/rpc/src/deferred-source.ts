import { EndpointPublisher, type Disposer, type Endpoint, type EndpointSource } from '@ballast/core';

/**
 * An EndpointSource that exists at once and fills in when an asynchronous one (a registry
 * discovery) resolves, so connect() can return a client synchronously. `ready` tells callers
 * whether the first list has arrived yet.
 */
export class DeferredSource implements EndpointSource {
  #inner: EndpointSource | undefined;
  #closed = false;
  #stopInner: Disposer | undefined;
  readonly #publisher = new EndpointPublisher();

  constructor(
    pending: Promise<EndpointSource>,
    private readonly onError: (error: unknown) => void,
  ) {
    pending.then(
      (inner) => {
        if (this.#closed) return void inner.close?.();
        this.#inner = inner;
        this.#stopInner = inner.subscribe((endpoints) => this.#publisher.publish(endpoints));
      },
      (error: unknown) => onError(error),
    );
  }

  get ready(): boolean {
    return this.#inner !== undefined;
  }

  current(): readonly Endpoint[] {
    return this.#publisher.current();
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    return this.#publisher.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopInner?.();
    await this.#inner?.close?.();
  }
}
