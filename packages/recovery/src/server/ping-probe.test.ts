import { describe, expect, it } from 'vitest';
import { PingProbe } from './ping-probe.js';

const timing = { intervalMs: 100, timeoutMs: 300 };

describe('PingProbe', () => {
  it('sends no PING while the connection keeps reading', () => {
    const probe = new PingProbe(timing, 0, 0);
    expect(probe.check(100, 10)).toEqual({ type: 'alive' });
    expect(probe.check(200, 25)).toEqual({ type: 'alive' });
  });

  it('pings a quiet connection once, then declares it dead when nothing arrives for timeoutMs', () => {
    const probe = new PingProbe(timing, 0, 50);
    expect(probe.check(100, 50)).toEqual({ type: 'ping' });
    expect(probe.check(200, 50)).toEqual({ type: 'waiting', sinceMs: 100 });
    expect(probe.check(300, 50)).toEqual({ type: 'waiting', sinceMs: 200 });
    expect(probe.check(400, 50)).toEqual({ type: 'dead', silentMs: 300 });
  });

  it('takes bytes read after the PING as an answer', () => {
    const probe = new PingProbe(timing, 0, 50);
    expect(probe.check(100, 50)).toEqual({ type: 'ping' });
    expect(probe.check(200, 67)).toEqual({ type: 'alive' });
    expect(probe.check(300, 67)).toEqual({ type: 'ping' });
    expect(probe.check(500, 67)).toEqual({ type: 'waiting', sinceMs: 200 });
  });

  it('pings again after an acknowledgement rather than counting from the old PING', () => {
    const probe = new PingProbe(timing, 0, 0);
    expect(probe.check(100, 0)).toEqual({ type: 'ping' });
    probe.answered();
    expect(probe.check(200, 0)).toEqual({ type: 'ping' });
    expect(probe.check(300, 0)).toEqual({ type: 'waiting', sinceMs: 100 });
  });

  it('never declares death at a check that comes late: this process stalled, and the answer may be unread', () => {
    const probe = new PingProbe(timing, 0, 50);
    expect(probe.check(100, 50)).toEqual({ type: 'ping' });
    expect(probe.check(10_000, 50)).toEqual({ type: 'waiting', sinceMs: 9_900 });
    // The next check on time reads what arrived meanwhile, or finds the connection dead.
    expect(probe.check(10_100, 50)).toEqual({ type: 'dead', silentMs: 10_000 });
  });
});
