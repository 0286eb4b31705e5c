import { EventEmitter } from 'node:events';
import { VirtualScheduler, type Logger } from '@ballast/core';
import type { ServerInterceptingCallInterface, ServerMethodDefinition } from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { connectionReaper } from './connection-reaper.js';

/** An HTTP/2 session as far as the reaper uses it: bytes read, PING, destroy and close. */
class FakeSession extends EventEmitter {
  socket = { bytesRead: 100, remoteAddress: '127.0.0.1', remotePort: 5000 };
  destroyed = false;
  pings: Array<(error: Error | null) => void> = [];
  ping(callback: (error: Error | null) => void): boolean {
    this.pings.push(callback);
    return true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

class FakeStream extends EventEmitter {
  closed = false;
  constructor(readonly session: FakeSession) {
    super();
  }
  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

function logger() {
  const warn = vi.fn();
  return { warn, logger: { warn } as unknown as Logger };
}

const method = {} as ServerMethodDefinition<unknown, unknown>;
const callOn = (stream: FakeStream | undefined) => ({ stream }) as unknown as ServerInterceptingCallInterface;

describe('connectionReaper', () => {
  it('pings a quiet connection with a call open and destroys it when nothing arrives within timeoutMs', () => {
    const scheduler = new VirtualScheduler();
    const reaper = connectionReaper({ intervalMs: 100, timeoutMs: 300, scheduler, ...logger() });
    const session = new FakeSession();
    const call = callOn(new FakeStream(session));
    expect(reaper.interceptor(method, call)).toBe(call);
    expect(reaper.watching()).toBe(1);

    scheduler.advance(100);
    expect(session.pings).toHaveLength(1);
    scheduler.advance(299);
    expect(session.destroyed).toBe(false);
    scheduler.advance(1);
    expect(session.destroyed).toBe(true);
    expect(reaper.closed()).toBe(1);
    expect(reaper.watching()).toBe(0);
  });

  it('keeps a connection that answers, and stops checking once its calls have ended', () => {
    const scheduler = new VirtualScheduler();
    const reaper = connectionReaper({ intervalMs: 100, timeoutMs: 300, scheduler, ...logger() });
    const session = new FakeSession();
    const stream = new FakeStream(session);
    reaper.interceptor(method, callOn(stream));

    for (let i = 0; i < 10; i++) {
      scheduler.advance(100);
      session.pings.shift()?.(null);
    }
    expect(session.destroyed).toBe(false);
    stream.close();
    const pings = session.pings.length;
    scheduler.advance(10_000);
    expect(session.pings).toHaveLength(pings);
    expect(session.destroyed).toBe(false);
  });

  it('lets calls through and says once that it is off when grpc-js shows no HTTP/2 stream', () => {
    const { warn, logger: log } = logger();
    const reaper = connectionReaper({ intervalMs: 100, timeoutMs: 300, logger: log });
    const call = callOn(undefined);
    expect(reaper.interceptor(method, call)).toBe(call);
    reaper.interceptor(method, callOn(undefined));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/connection checks are off/);
    expect(reaper.watching()).toBe(0);
  });
});
