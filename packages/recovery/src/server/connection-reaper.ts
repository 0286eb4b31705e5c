import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { systemScheduler, type Logger, type Scheduler, type TimerHandle } from '@ballast/core';
import type { ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import { PingProbe, type PingProbeTiming } from './ping-probe.js';

export interface ConnectionReaperOptions extends PingProbeTiming {
  readonly logger: Logger;
  readonly scheduler?: Scheduler;
}

export interface ConnectionReaper {
  /**
   * A grpc-js server interceptor. It hands grpc-js's own call on unchanged, so an interceptor after
   * it (the rapid-reset guard) still sees the HTTP/2 stream.
   */
  readonly interceptor: ServerInterceptor;
  /** Connections closed because they could no longer carry their calls. */
  closed(): number;
  /** Connections with calls open that are being watched now. */
  watching(): number;
  /** Stops every check timer (the server is closing). */
  close(): void;
}

interface Watched {
  open: number;
  probe?: PingProbe;
  timer?: TimerHandle;
}

/**
 * Closes HTTP/2 connections that can no longer carry the calls open on them, so those calls are
 * cancelled: their handlers' signals abort and their places under `maxConcurrentCalls`,
 * `maxStreams` and the shedder's limit are freed.
 *
 * Why it is needed: when a client sends a malformed frame (an oversized frame, a SETTINGS frame of
 * the wrong length), nghttp2 sends GOAWAY and stops reading, as RFC 9113 §5.4.1 asks, but Node 20
 * then neither closes the socket (the RFC's MUST) nor tells anyone: no 'error', 'goaway' or 'close'
 * event, and since nothing reads the socket any more, not even the peer closing it is noticed. Its
 * streams stay open for ever and grpc-js never cancels their calls, so a few bytes per connection
 * hold server capacity until each handler ends by itself, and the socket is never released.
 *
 * Such a session cannot be told apart by any event, so while a connection has calls open it is
 * checked every `intervalMs`: if nothing was read since the last check it is sent a PING, and if
 * nothing at all arrives within `timeoutMs` (a stopped session sends no PING and reads no answer),
 * it is destroyed. A busy connection is never pinged; an idle one holds no calls and is left alone.
 *
 * grpc-js does not expose its HTTP/2 sessions; the interceptor learns each from its calls (grpc-js's
 * base call keeps its stream in `stream`, outside its types). If a grpc-js release stops doing so,
 * the reaper logs that it is off and lets calls through untouched.
 */
export function connectionReaper(options: ConnectionReaperOptions): ConnectionReaper {
  const scheduler = options.scheduler ?? systemScheduler;
  const timing: PingProbeTiming = { intervalMs: options.intervalMs, timeoutMs: options.timeoutMs };
  const sessions = new Map<ServerHttp2Session, Watched>();
  let closed = 0;
  let warned = false;
  let stopped = false;

  const stop = (watched: Watched) => {
    scheduler.clearTimeout(watched.timer);
    watched.timer = undefined;
    watched.probe = undefined;
  };

  const check = (session: ServerHttp2Session, watched: Watched) => {
    watched.timer = undefined;
    if (session.destroyed || !watched.probe) return;
    const step = watched.probe.check(scheduler.now(), bytesRead(session));
    if (step.type === 'dead') {
      closed++;
      options.logger.warn(
        { peer: peerOf(session), openCalls: watched.open, silentMs: Math.round(step.silentMs) },
        'closing a connection that no longer reads or answers PING; its open calls are cancelled',
      );
      session.destroy();
      return;
    }
    if (step.type === 'ping') {
      const probe = watched.probe;
      try {
        session.ping((error) => {
          if (!error) probe.answered();
        });
      } catch {
        // Thrown only for a session already closing or destroyed, whose own close cancels its calls.
      }
    }
    watched.timer = scheduler.setTimeout(() => check(session, watched), timing.intervalMs, { unref: true });
  };

  const callOpened = (session: ServerHttp2Session, stream: ServerHttp2Stream) => {
    let watched = sessions.get(session);
    if (!watched) {
      const entry: Watched = { open: 0 };
      sessions.set(session, entry);
      session.once('close', () => {
        stop(entry);
        sessions.delete(session);
      });
      watched = entry;
    }
    const entry = watched;
    if (entry.open++ === 0) {
      entry.probe = new PingProbe(timing, scheduler.now(), bytesRead(session));
      entry.timer = scheduler.setTimeout(() => check(session, entry), timing.intervalMs, { unref: true });
    }
    stream.once('close', () => {
      if (--entry.open === 0) stop(entry);
    });
  };

  const interceptor: ServerInterceptor = (_method, call) => {
    const stream = (call as unknown as { stream?: ServerHttp2Stream }).stream;
    const session = stream?.session as ServerHttp2Session | undefined;
    if (stream && session && !stopped && !stream.closed && !session.destroyed) callOpened(session, stream);
    else if (!stream && !warned) {
      warned = true;
      options.logger.warn(
        'connection checks are off: this @grpc/grpc-js does not show its HTTP/2 stream to the first interceptor; ' +
          'keepaliveTimeMs alone bounds how long a dead connection holds its calls',
      );
    }
    // The base call itself, not a wrapper: see `interceptor` above.
    return call as ServerInterceptingCallInterface as ServerInterceptingCall;
  };

  return {
    interceptor,
    closed: () => closed,
    watching: () => [...sessions.values()].filter((watched) => watched.open > 0).length,
    close() {
      stopped = true;
      for (const watched of sessions.values()) stop(watched);
      sessions.clear();
    },
  };
}

function bytesRead(session: ServerHttp2Session): number {
  return session.socket?.bytesRead ?? 0;
}

function peerOf(session: ServerHttp2Session): string {
  return `${session.socket?.remoteAddress}:${session.socket?.remotePort}`;
}
