import { ManualClock, seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { parseDetectorSettings, type OutlierOptionsInput } from './detector-settings.js';
import { OutlierDetector, type OutlierDetectionOptions } from './outlier-detector.js';

const UNAVAILABLE = 14;
const NOT_FOUND = 5;

function detector(input: OutlierOptionsInput, ids = ['a', 'b', 'c']): OutlierDetector {
  const settings = parseDetectorSettings({ heartbeat: false, outlier: input });
  const outlier = new OutlierDetector(settings.outlier as OutlierDetectionOptions, seededRandom(1));
  outlier.setEndpoints(ids);
  return outlier;
}

function feed(outlier: OutlierDetector, id: string, successes: number, failures: number, now = 0): void {
  for (let i = 0; i < successes; i++) outlier.record(id, 0, now);
  for (let i = 0; i < failures; i++) outlier.record(id, UNAVAILABLE, now);
}

describe('consecutive gateway failures', () => {
  it('ejects on exactly the threshold-th failure in a row; a success or a non-gateway error resets the count', () => {
    const outlier = detector({ consecutiveGatewayFailure: { threshold: 3 }, maxEjectionPercent: 100 });
    expect(outlier.record('a', UNAVAILABLE, 0)).toEqual([]);
    expect(outlier.record('a', UNAVAILABLE, 0)).toEqual([]);
    expect(outlier.record('a', 0, 0)).toEqual([]);
    expect(outlier.record('a', UNAVAILABLE, 0)).toEqual([]);
    expect(outlier.record('a', NOT_FOUND, 0)).toEqual([]);
    expect(outlier.record('a', UNAVAILABLE, 0)).toEqual([]);
    expect(outlier.record('a', UNAVAILABLE, 0)).toEqual([]);
    expect(outlier.record('a', UNAVAILABLE, 10)).toEqual([
      { type: 'ejected', endpointId: 'a', reason: 'consecutive-gateway-failure', until: 30_010, ejections: 1 },
    ]);
    expect(outlier.ejection('a')).toMatchObject({ since: 10, until: 30_010 });
  });

  it('unejects at the first sweep after base × n, and each re-ejection lasts longer up to the max', () => {
    const clock = new ManualClock();
    const outlier = detector({
      intervalMs: 1000,
      baseEjectionTimeMs: 1000,
      maxEjectionTimeMs: 2500,
      maxEjectionPercent: 100,
      consecutiveGatewayFailure: { threshold: 1 },
    });
    const durations: number[] = [];
    for (let round = 0; round < 4; round++) {
      const since = clock.now();
      const [ejected] = outlier.record('a', UNAVAILABLE, since);
      expect(ejected?.type).toBe('ejected');
      for (;;) {
        clock.advance(1000);
        const events = outlier.sweep(clock.now());
        if (events.some((e) => e.type === 'unejected')) break;
        expect(outlier.ejection('a')).toBeDefined();
      }
      durations.push(clock.now() - since);
    }
    expect(durations).toEqual([1000, 2000, 2500, 2500].map((d) => Math.ceil(d / 1000) * 1000));
  });

  it('the multiplier decays one step per healthy interval', () => {
    const clock = new ManualClock();
    const outlier = detector({
      intervalMs: 1000,
      baseEjectionTimeMs: 1000,
      maxEjectionTimeMs: 10_000,
      maxEjectionPercent: 100,
      consecutiveGatewayFailure: { threshold: 1 },
    });
    outlier.record('a', UNAVAILABLE, 0);
    outlier.record('a', UNAVAILABLE, 0);
    clock.advance(1000);
    outlier.sweep(clock.now()); // unejected, multiplier 1
    outlier.record('a', UNAVAILABLE, clock.now()); // multiplier 2
    expect(outlier.ejection('a')!.ejections).toBe(2);
    for (let i = 0; i < 2; i++) outlier.sweep(clock.now() + 2000 * (i + 1));
    // Unejected at the first of those sweeps, one healthy interval at the second: back to 1.
    expect(outlier.ejection('a')).toBeUndefined();
    expect(outlier.record('a', UNAVAILABLE, 10_000)[0]).toMatchObject({ ejections: 2 });
  });
});

describe('success rate', () => {
  const rule = { stdevFactor: 1000, minimumHosts: 3, requestVolume: 100 };

  it('ejects the host below mean − k·stddev at the sweep, and only then', () => {
    const outlier = detector({ successRateEjection: rule, consecutiveGatewayFailure: false, maxEjectionPercent: 50 });
    feed(outlier, 'a', 100, 0);
    feed(outlier, 'b', 99, 1);
    feed(outlier, 'c', 50, 50);
    expect(outlier.ejection('c')).toBeUndefined();
    expect(outlier.sweep(5)).toEqual([
      { type: 'ejected', endpointId: 'c', reason: 'success-rate', until: 30_005, ejections: 1 },
    ]);
  });

  it('does nothing below minimumHosts or requestVolume, and counts from each interval afresh', () => {
    const outlier = detector({ successRateEjection: rule, consecutiveGatewayFailure: false, maxEjectionPercent: 50 });
    feed(outlier, 'a', 100, 0);
    feed(outlier, 'b', 100, 0);
    feed(outlier, 'c', 50, 49); // 99 calls: under requestVolume
    expect(outlier.sweep(0)).toEqual([]);
    feed(outlier, 'a', 100, 0);
    feed(outlier, 'b', 100, 0);
    feed(outlier, 'c', 0, 1); // the last interval's 99 calls are gone
    expect(outlier.sweep(1)).toEqual([]);
  });

  it('always allows one ejection, even above maxEjectionPercent', () => {
    const outlier = detector({ consecutiveGatewayFailure: { threshold: 1 }, maxEjectionPercent: 10 });
    expect(outlier.record('a', UNAVAILABLE, 0)).toHaveLength(1);
    expect(outlier.record('b', UNAVAILABLE, 0)).toEqual([]);
  });

  it('respects maxEjectionPercent', () => {
    const outlier = detector(
      { successRateEjection: { ...rule, minimumHosts: 4 }, consecutiveGatewayFailure: false, maxEjectionPercent: 30 },
      ['a', 'b', 'c', 'd'],
    );
    feed(outlier, 'a', 100, 0);
    feed(outlier, 'b', 100, 0);
    feed(outlier, 'c', 10, 90);
    feed(outlier, 'd', 10, 90);
    const events = outlier.sweep(0);
    // One of four is 25 % <= 30 %; a second would make 50 %.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ejected', endpointId: 'c' });
    expect(outlier.ejection('d')).toBeUndefined();
  });
});

describe('failure percentage', () => {
  it('ejects hosts whose failure percentage is above the threshold', () => {
    const outlier = detector({
      failurePercentageEjection: { threshold: 40, minimumHosts: 3, requestVolume: 10 },
      successRateEjection: false,
      consecutiveGatewayFailure: false,
      maxEjectionPercent: 100,
    });
    feed(outlier, 'a', 10, 0);
    feed(outlier, 'b', 6, 4); // exactly 40 %: stays
    feed(outlier, 'c', 5, 5);
    expect(outlier.sweep(0).map((e) => e.endpointId)).toEqual(['c']);
  });

  it('enforces with the configured probability', () => {
    const outlier = detector(
      {
        failurePercentageEjection: { threshold: 10, minimumHosts: 1, requestVolume: 1, enforcementPercentage: 50 },
        successRateEjection: false,
        consecutiveGatewayFailure: false,
        maxEjectionPercent: 100,
      },
      Array.from({ length: 200 }, (_, i) => `e${i}`),
    );
    for (let i = 0; i < 200; i++) feed(outlier, `e${i}`, 0, 1);
    const ejected = outlier.sweep(0).length;
    expect(ejected).toBeGreaterThan(70);
    expect(ejected).toBeLessThan(130);
  });
});
