import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { systemClock, type Clock, type Logger } from '@ballast/core';
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { ResetBudget, type ResetLimit } from './reset-budget.js';

export interface RapidResetGuard {
  /** A grpc-js server interceptor; it must come first in `interceptors`, where it sees the HTTP/2 stream. */
  readonly interceptor: ServerInterceptor;
  /** Connections closed for abandoning too many streams. */
  closed(): number;
}

/**
 * Closes a connection whose client abandons streams faster than `limit` allows (HTTP/2 "rapid
 * reset", CVE-2023-44487: HEADERS then RST_STREAM, over and over, so the server starts work that
 * nobody waits for). It sends GOAWAY ENHANCE_YOUR_CALM and closes the socket; every call still open
 * on it is cancelled, so its handler's signal fires.
 *
 * Node's nghttp2 has its own limit (a burst of 1000 resets, then 33 a second) but on reaching it
 * only sends GOAWAY: Node 20 keeps the socket open and the client may go on writing. Keep `burst`
 * below 1000 so this guard acts first. grpc-js does not expose its HTTP/2 sessions, so the guard
 * learns a connection's session from the first call that reaches it through the interceptor (whose
 * call is grpc-js's base call holding the stream), then watches every later stream of that session.
 */
export function rapidResetGuard(options: { limit: ResetLimit; logger: Logger; clock?: Clock }): RapidResetGuard {
  const clock = options.clock ?? systemClock;
  const watched = new WeakSet<ServerHttp2Session>();
  let closed = 0;

  const watch = (session: ServerHttp2Session, first: ServerHttp2Stream) => {
    watched.add(session);
    const budget = new ResetBudget(options.limit, clock.now());
    let abandoned = 0;
    // 'aborted': the stream closed before this server finished its answer (the client reset it).
    const onAborted = () => {
      if (session.destroyed || session.closed) return;
      abandoned++;
      if (budget.take(clock.now())) return;
      closed++;
      options.logger.warn(
        { peer: `${session.socket?.remoteAddress}:${session.socket?.remotePort}`, abandoned, limit: options.limit },
        'closing a connection that abandons streams faster than allowed (HTTP/2 rapid reset)',
      );
      // GOAWAY with this code, then the socket closes. (Without an error, Node sends NO_ERROR
      // whatever the code; the error goes to the HTTP/2 server's 'sessionError', unheard.)
      session.destroy(new Error('HTTP/2 rapid reset'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    };
    first.once('aborted', onAborted);
    session.on('stream', (stream: ServerHttp2Stream) => stream.once('aborted', onAborted));
  };

  const interceptor: ServerInterceptor = (_method, call) => {
    // grpc-js's BaseServerInterceptingCall keeps its HTTP/2 stream in `stream` (not in its types).
    const stream = (call as unknown as { stream?: ServerHttp2Stream }).stream;
    const session = stream?.session as ServerHttp2Session | undefined;
    if (stream && session && !watched.has(session)) watch(session, stream);
    return new ServerInterceptingCall(call);
  };
  return { interceptor, closed: () => closed };
}
