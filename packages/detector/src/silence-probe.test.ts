import { describe, expect, it } from 'vitest';
import { SilenceProbe } from './silence-probe.js';

const options = { busyAfterMs: 400, idleAfterMs: 2000, timeoutMs: 450, failureThreshold: 2 };

describe('SilenceProbe', () => {
  it('probes a new endpoint at once, then only after its silence: sooner while calls wait on it', () => {
    const probe = new SilenceProbe(options);
    expect(probe.due(0, false)).toBe(true);
    probe.sent(0);
    expect(probe.due(1, false)).toBe(false); // one probe at a time
    probe.answered(2);
    expect(probe.due(2 + 1999, false)).toBe(false);
    expect(probe.due(2 + 2000, false)).toBe(true);
    expect(probe.due(2 + 399, true)).toBe(false);
    expect(probe.due(2 + 400, true)).toBe(true);
  });

  it('sends nothing while the endpoint keeps answering calls', () => {
    const probe = new SilenceProbe(options);
    probe.sent(0);
    probe.answered(1);
    let probes = 0;
    for (let now = 1; now <= 60_000; now += 50) {
      probe.heard(now); // an answer every 50 ms
      if (probe.due(now, true)) probes++;
    }
    expect(probes).toBe(0);
  });

  it('an unanswered probe makes the endpoint unresponsive after timeoutMs, until it is heard again', () => {
    const probe = new SilenceProbe(options);
    probe.sent(0);
    probe.answered(1);
    // Frozen after its last answer at 1 ms, with calls waiting: probed at 401, judged at 851.
    expect(probe.due(401, true)).toBe(true);
    probe.sent(401);
    expect(probe.verdict()).toBe('alive');
    probe.failed(true); // no answer by 851: the caller times the probe
    expect(probe.verdict()).toBe('unresponsive');
    // Re-asked at once (the last probe left 450 ms ago), then no more often than busyAfterMs.
    expect(probe.due(851, false)).toBe(true);
    probe.sent(851);
    probe.failed(true);
    expect(probe.due(851 + 399, false)).toBe(false);
    expect(probe.due(851 + 400, false)).toBe(true);
    probe.sent(1251);
    probe.answered(1260);
    expect(probe.verdict()).toBe('alive');
  });

  it('before the first answer, a probe lost to a slow first connection is a failure, not a freeze', () => {
    const probe = new SilenceProbe(options);
    probe.sent(0);
    probe.failed(true);
    expect(probe.verdict()).toBe('alive');
    expect(probe.due(399, true)).toBe(false);
    probe.sent(400);
    probe.failed(true);
    expect(probe.verdict()).toBe('failing');
  });

  it('a probe outlived by an answered call says nothing', () => {
    const probe = new SilenceProbe(options);
    probe.sent(0);
    probe.answered(1);
    probe.sent(401);
    probe.heard(600);
    probe.failed(true);
    expect(probe.verdict()).toBe('alive');
    expect(probe.due(600 + 399, true)).toBe(false);
  });

  it('probes errors in a row make it failing; a suspect call asks at once; any answer clears both', () => {
    const probe = new SilenceProbe(options);
    probe.sent(0);
    probe.answered(1);
    probe.suspect();
    expect(probe.due(2, false)).toBe(true);
    probe.sent(2);
    probe.failed(false);
    expect(probe.verdict()).toBe('alive');
    expect(probe.due(3, false)).toBe(false);
    expect(probe.due(402, false)).toBe(true);
    probe.sent(402);
    probe.failed(false);
    expect(probe.verdict()).toBe('failing');
    probe.heard(500);
    expect(probe.verdict()).toBe('alive');
  });

  it('costs one probe per idleAfterMs on a silent idle connection: the per-replica arithmetic', () => {
    const probe = new SilenceProbe(options);
    let probes = 0;
    for (let now = 0; now < 60_000; now += 10) {
      if (!probe.due(now, false)) continue;
      probes++;
      probe.sent(now);
      probe.answered(now + 1);
    }
    // 60 s / (2 s + 10 ms tick) ≈ 30 probes: 32 idle client connections cost a replica ≈ 16 a second.
    expect(probes).toBeGreaterThanOrEqual(29);
    expect(probes).toBeLessThanOrEqual(31);
  });
});
