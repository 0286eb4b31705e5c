import { MetadataKeys } from '@ballast/core';
import { ServerError, Status, type ServerMiddleware } from 'nice-grpc-common';

export interface StreamLimits {
  /** Streams open at once from one connection (one client peer address). */
  readonly maxStreamsPerConnection: number;
  /** Streams open at once on the whole server. */
  readonly maxStreams: number;
  /** Pushback sent with a refusal. */
  readonly pushbackMs?: number;
}

export interface StreamLimit {
  readonly middleware: ServerMiddleware;
  /** Streams open now: in total and by peer. */
  stats(): { open: number; byPeer: ReadonlyMap<string, number> };
}

/**
 * Bounds open streams (client-, server- and bidi-streaming calls), per connection and per server.
 * Streams live as long as their client wants, so they are kept out of the unary concurrency cap
 * and the load shedder and get this bound instead: past it a new stream fails at once with
 * RESOURCE_EXHAUSTED naming the limit; unary calls never count here. A connection is known by its
 * peer address (`ipv4:host:port`), which is unique per TCP connection.
 */
export function streamLimit(limits: StreamLimits): StreamLimit {
  const pushbackMs = limits.pushbackMs ?? 1000;
  const byPeer = new Map<string, number>();
  let open = 0;
  const middleware: ServerMiddleware = async function* streamLimit(call, context) {
    if (!call.method.requestStream && !call.method.responseStream) return yield* call.next(call.request, context);
    const peer = context.peer;
    const onPeer = byPeer.get(peer) ?? 0;
    if (onPeer >= limits.maxStreamsPerConnection) {
      context.trailer.set(MetadataKeys.retryPushbackMs, String(pushbackMs));
      throw new ServerError(
        Status.RESOURCE_EXHAUSTED,
        `this connection has ${onPeer} streams open, the server's limit per connection ` +
          `(maxStreamsPerConnection ${limits.maxStreamsPerConnection}): close streams you no longer read, ` +
          'or open another connection',
      );
    }
    if (open >= limits.maxStreams) {
      context.trailer.set(MetadataKeys.retryPushbackMs, String(pushbackMs));
      throw new ServerError(
        Status.RESOURCE_EXHAUSTED,
        `server has ${open} streams open, its limit (maxStreams ${limits.maxStreams}): ` +
          `retry after ${pushbackMs} ms or on another replica`,
      );
    }
    open++;
    byPeer.set(peer, onPeer + 1);
    try {
      return yield* call.next(call.request, context);
    } finally {
      open--;
      const left = (byPeer.get(peer) ?? 1) - 1;
      if (left > 0) byPeer.set(peer, left);
      else byPeer.delete(peer);
    }
  };
  return { middleware, stats: () => ({ open, byPeer }) };
}
