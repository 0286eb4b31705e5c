import { describe, expect, it } from 'vitest';
import { phi, PhiAccrual, phiAccrualDefaults } from './phi-accrual.js';

/** A detector that has seen `count` heartbeats exactly `intervalMs` apart, the last at the returned time. */
function regular(intervalMs: number, count = 50): { detector: PhiAccrual; last: number } {
  const detector = new PhiAccrual(phiAccrualDefaults(intervalMs));
  let now = 0;
  for (let i = 0; i < count; i++) detector.heartbeat((now += intervalMs));
  return { detector, last: now };
}

describe('phi', () => {
  it('is 0.3 at the mean and grows without bound, finite, with silence', () => {
    expect(phi(100, 100, 10)).toBeCloseTo(Math.log10(2), 6);
    let previous = -1;
    for (let elapsed = 0; elapsed <= 10_000; elapsed += 5) {
      const value = phi(elapsed, 100, 10);
      expect(value).toBeGreaterThan(previous);
      expect(Number.isFinite(value)).toBe(true);
      previous = value;
    }
  });
});

describe('PhiAccrual', () => {
  it('suspects nothing before the first heartbeat', () => {
    const detector = new PhiAccrual(phiAccrualDefaults(100));
    expect(detector.phi(1_000_000)).toBe(0);
    expect(detector.isAvailable(1_000_000)).toBe(true);
    expect(detector.suspectAt()).toBeUndefined();
  });

  it('rises monotonically with silence (strictly once past the expected arrival)', () => {
    const { detector, last } = regular(100);
    let previous = -1;
    for (let t = last; t < last + 2000; t += 10) {
      const value = detector.phi(t);
      if (t >= last + 300) expect(value).toBeGreaterThan(previous);
      else expect(value).toBeGreaterThanOrEqual(previous);
      previous = value;
    }
    expect(previous).toBeGreaterThan(100);
  });

  it('crosses the threshold where the history says: mean + pause + ~5.2 std-dev', () => {
    // Regular 100 ms heartbeats: std-dev collapses to its floor (10 ms); mean 100 + pause 300.
    const { detector, last } = regular(100, 300);
    const at = detector.suspectAt()!;
    expect(at - last).toBeGreaterThan(440);
    expect(at - last).toBeLessThan(470);
    expect(detector.isAvailable(at - 1)).toBe(true);
    expect(detector.isAvailable(at + 1)).toBe(false);
    // Akka's figure: at 1 s heartbeats, a silent node is suspected after about 4.5 s.
    const slow = regular(1000, 300);
    expect(slow.detector.suspectAt()! - slow.last).toBeGreaterThan(4400);
    expect(slow.detector.suspectAt()! - slow.last).toBeLessThan(4600);
  });

  it('marks a frozen endpoint down within 1 s at 100 ms heartbeats, even after a jittery history', () => {
    const detector = new PhiAccrual(phiAccrualDefaults(100));
    let now = 0;
    // ±40 ms of jitter around 100 ms.
    for (let i = 0; i < 200; i++) detector.heartbeat((now += 60 + ((i * 37) % 81)));
    expect(detector.isAvailable(now + 300)).toBe(true);
    expect(detector.isAvailable(now + 1000)).toBe(false);
  });

  it('does not suspect one late heartbeat under jitter, and learns from it', () => {
    const { detector, last } = regular(100);
    // A 350 ms GC pause: the heartbeat arrives 350 ms late.
    expect(detector.isAvailable(last + 450)).toBe(true);
    detector.heartbeat(last + 450);
    expect(detector.phi(last + 450)).toBeLessThan(0.01);
    expect(detector.isAvailable(last + 550)).toBe(true);
  });

  it('starts afresh after a silence it judged a failure', () => {
    const { detector, last } = regular(100);
    const resumed = last + 5000;
    expect(detector.isAvailable(resumed)).toBe(false);
    detector.heartbeat(resumed);
    expect(detector.isAvailable(resumed)).toBe(true);
    // The 5 s gap was not learnt: the next silence is judged on the 100 ms estimate again.
    expect(detector.suspectAt()! - resumed).toBeLessThan(1000);
  });

  it('forgets samples beyond maxSampleSize', () => {
    const detector = new PhiAccrual({ ...phiAccrualDefaults(100), maxSampleSize: 10 });
    let now = 0;
    for (let i = 0; i < 50; i++) detector.heartbeat((now += 1000));
    for (let i = 0; i < 10; i++) detector.heartbeat((now += 100));
    expect(detector.suspectAt()! - now).toBeLessThan(500);
  });
});
