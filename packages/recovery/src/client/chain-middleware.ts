import type { ClientMiddleware, ClientMiddlewareCall } from 'nice-grpc-common';

type Next = ClientMiddlewareCall<unknown, unknown>['next'];

interface Linked {
  readonly method: ClientMiddlewareCall<unknown, unknown>['method'];
  readonly enter: Next;
}

/**
 * Middleware from outermost to innermost as one; the same as folding them with
 * `composeMiddleware`, and none passes calls straight through.
 *
 * The layers are linked once per method rather than once per call: nice-grpc hands every call
 * of a method the same `next`, so the chain keeps its linked `next` functions under it, and a
 * call then costs one call object per layer. On a client with seven layers and 64 calls in
 * flight, the objects a call keeps alive while it waits are what the garbage collector pays for.
 */
export function chainMiddleware(outerToInner: readonly ClientMiddleware[]): ClientMiddleware {
  const layers = [...outerToInner];
  if (layers.length === 0) return passThrough;
  if (layers.length === 1) return layers[0]!;
  const linked = new WeakMap<Next, Linked>();
  return (call, options) => {
    let entry = linked.get(call.next);
    // A `next` reused for another method would be a caller's own composition: link it afresh.
    if (entry === undefined || entry.method !== call.method) {
      entry = { method: call.method, enter: link(layers, call) };
      linked.set(call.next, entry);
    }
    return entry.enter(call.request, options) as never;
  };
}

function link(layers: readonly ClientMiddleware[], call: ClientMiddlewareCall<unknown, unknown>): Next {
  const { method, requestStream, responseStream } = call;
  let next: Next = call.next;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const inner = next;
    next = ((request: unknown, options: object) =>
      layer({ method, requestStream, request, responseStream, next: inner } as never, options)) as Next;
  }
  return next;
}

/**
 * A layer that only changes what goes down (options, metadata) returns the inner layer's
 * generator instead of wrapping it in its own: one suspended generator fewer per call in flight.
 */
const passThrough: ClientMiddleware = (call, options) => call.next(call.request, options);
