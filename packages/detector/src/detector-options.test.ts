import { StaticEndpointSource } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createDetector } from './detector.js';
import { parseDetectorOptions, type DetectorOptions } from './detector-options.js';
import { InvalidDetectorOptionsError } from './errors.js';

const source = new StaticEndpointSource([{ id: 'a', address: '127.0.0.1:1' }]);

/** Expects `input` to be refused with an InvalidDetectorOptionsError that has `fields`. */
function expectRefused(input: DetectorOptions, fields: Record<string, unknown>): void {
  expect(() => parseDetectorOptions(input)).toThrow(
    expect.objectContaining({ name: InvalidDetectorOptionsError.name, ...fields }),
  );
}

describe('createDetector options', () => {
  it('refuses an unknown key at the top, listing the keys it accepts', () => {
    const misspelt = { source, heartBeat: { intervalMs: 100 }, metrics: false } as DetectorOptions;
    expect(() => createDetector(misspelt)).toThrow(InvalidDetectorOptionsError);
    expectRefused(misspelt, {
      code: 'INVALID_DETECTOR_OPTIONS',
      field: 'heartBeat',
      message: expect.stringMatching(
        /unknown key "heartBeat"\): allowed values are the keys heartbeat, outlier, panicThreshold, source, target, connection, inFlight, scheduler, clock, random, logger, metrics\./,
      ),
    });
  });

  it('names a missing source, and a clock, scheduler or function of the wrong kind', () => {
    expectRefused({} as DetectorOptions, {
      field: 'source',
      message: expect.stringMatching(/"source" is missing .*an EndpointSource/),
    });
    expectRefused({ source, clock: Date.now } as unknown as DetectorOptions, { field: 'clock' });
    expectRefused({ source, scheduler: { now: () => 0 } } as unknown as DetectorOptions, { field: 'scheduler' });
    expectRefused({ source, inFlight: 3 } as unknown as DetectorOptions, { field: 'inFlight' });
  });

  it('parses the tunables into settings and keeps the objects it is given as they are', () => {
    const clock = { now: () => 42 };
    const parsed = parseDetectorOptions({ source, clock, heartbeat: { mode: 'poll', intervalMs: 100 } });
    expect(parsed.source).toBe(source);
    expect(parsed.clock).toBe(clock);
    expect(parsed.target).toBe('default');
    expect(parsed.settings).toMatchObject({ panicThreshold: 0.5, heartbeat: { mode: 'poll', intervalMs: 100 } });
    expectRefused({ source, heartbeat: { mode: 'poll', idleIntervalMs: 5000 } }, { field: 'heartbeat.idleIntervalMs' });
  });
});
