import { describe, expect, it } from 'vitest';
import { InvalidDetectorOptionsError } from './errors.js';
import { parseDetectorSettings } from './detector-settings.js';

function rejection(input: Parameters<typeof parseDetectorSettings>[0]): InvalidDetectorOptionsError {
  try {
    parseDetectorSettings(input);
  } catch (error) {
    if (error instanceof InvalidDetectorOptionsError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseDetectorSettings', () => {
  it('defaults to on-silence probing: 400 ms of silence with calls waiting, 2 s idle, 450 ms to answer', () => {
    expect(parseDetectorSettings({}).heartbeat).toMatchObject({
      mode: 'on-silence',
      intervalMs: 400,
      idleIntervalMs: 2000,
      timeoutMs: 450,
      unhealthyThreshold: 2,
    });
    expect(parseDetectorSettings({ heartbeat: { intervalMs: 3000 } }).heartbeat).toMatchObject({
      intervalMs: 3000,
      idleIntervalMs: 3000,
    });
  });

  it('refuses what does not apply to the mode, naming the mode it needs', () => {
    expect(rejection({ heartbeat: { phi: { threshold: 10 } } })).toMatchObject({
      field: 'heartbeat.phi',
      message: expect.stringMatching(/mode 'poll' only/),
    });
    expect(rejection({ heartbeat: { mode: 'poll', idleIntervalMs: 5000 } }).field).toBe('heartbeat.idleIntervalMs');
    expect(rejection({ heartbeat: { intervalMs: 500, idleIntervalMs: 100 } }).message).toMatch(/>= intervalMs/);
    expect(rejection({ heartbeat: { mode: 'push' as never } }).field).toBe('heartbeat.mode');
  });

  it('fills defaults: Envoy/gRPC outlier values, phi scaled to the heartbeat interval', () => {
    const settings = parseDetectorSettings({ heartbeat: { mode: 'poll', intervalMs: 100 } });
    expect(settings.panicThreshold).toBe(0.5);
    expect(settings.heartbeat).toMatchObject({
      mode: 'poll',
      intervalMs: 100,
      timeoutMs: 1000,
      service: '',
      watch: true,
      phi: { threshold: 8, minStdDeviationMs: 10, acceptableHeartbeatPauseMs: 300, firstHeartbeatEstimateMs: 100 },
    });
    expect(settings.outlier).toMatchObject({
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionTimeMs: 300_000,
      maxEjectionPercent: 10,
      consecutiveGatewayFailure: { threshold: 5 },
      successRateEjection: { stdevFactor: 1900, minimumHosts: 5, requestVolume: 100 },
      failurePercentageEjection: false,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('names the offending field and the allowed values', () => {
    expect(rejection({ panicThreshold: 1.5 })).toMatchObject({
      code: 'INVALID_DETECTOR_OPTIONS',
      field: 'panicThreshold',
      message: expect.stringMatching(
        /"panicThreshold" is 1\.5 \(.*\): allowed values are a number in 0\.\.1 \(default 0\.5\)/,
      ),
    });
    expect(rejection({ outlier: { maxEjectionPercent: 120 } }).field).toBe('outlier.maxEjectionPercent');
    expect(rejection({ heartbeat: { intervalMs: 1 } }).message).toMatch(
      /"heartbeat\.intervalMs" is 1 \(.*\): allowed values are a number in 10\.\.3600000/,
    );
    expect(rejection({ heartbeat: { mode: 'poll', phi: { threshold: -1 } } }).field).toBe('heartbeat.phi.threshold');
    expect(rejection({ outlier: { successRateEjection: { stdevFactor: Number.NaN } } }).field).toBe(
      'outlier.successRateEjection.stdevFactor',
    );
    expect(rejection({ outlier: { baseEjectionTimeMs: 1000, maxEjectionTimeMs: 10 } }).field).toBe(
      'outlier.maxEjectionTimeMs',
    );
    expect(rejection({ heartbeat: { intervalMS: 100 } as never })).toMatchObject({
      field: 'heartbeat.intervalMS',
      message: expect.stringMatching(
        /unknown key "intervalMS"\): allowed values are the keys mode, intervalMs, idleIntervalMs,/,
      ),
    });
  });
});
