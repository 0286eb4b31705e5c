import { ENDPOINT_FAILURE_CODES, NEVER_ENDPOINT_FAILURE_CODES, parseOptions } from '@ballast/core';
import { z } from 'zod';
import { invalidDetectorOption, InvalidDetectorOptionsError } from './errors.js';
import type { OutlierDetectionOptions } from './outlier-detector.js';
import { phiAccrualDefaults, type PhiAccrualOptions } from './phi-accrual.js';

const ms = (min: number, max: number) => z.number().finite().min(min).max(max);
const percent = z.number().finite().min(0).max(100);
const count = z.number().int().min(1);

const phiSchema = z
  .object({
    threshold: z.number().finite().gt(0),
    maxSampleSize: z.number().int().min(2).max(100_000),
    minStdDeviationMs: z.number().finite().gt(0),
    acceptableHeartbeatPauseMs: z.number().finite().min(0),
    firstHeartbeatEstimateMs: z.number().finite().gt(0),
  })
  .partial()
  .strict();

const heartbeatSchema = z
  .object({
    mode: z.enum(['on-silence', 'poll']).default('on-silence'),
    intervalMs: ms(10, 3_600_000).optional(),
    idleIntervalMs: ms(10, 3_600_000).optional(),
    timeoutMs: ms(1, 3_600_000).optional(),
    service: z.string().default(''),
    watch: z.boolean().default(true),
    unhealthyThreshold: count.default(2),
    phi: phiSchema.optional(),
  })
  .strict();

/**
 * On-silence defaults. A frozen endpoint with calls waiting is found within interval + timeout
 * (+ a tick of an eighth of the shorter): ≈ 0.9 s. An idle connection costs one Check per 2 s,
 * so a replica behind 32 idle client connections answers 16 a second.
 */
export const ON_SILENCE_DEFAULTS = { intervalMs: 400, idleIntervalMs: 2_000, timeoutMs: 450 } as const;
/** Poll-mode defaults: a Check a second, each allowed a second. */
export const POLL_DEFAULTS = { intervalMs: 1_000 } as const;

const outlierSchema = z
  .object({
    intervalMs: ms(1, 86_400_000).default(10_000),
    baseEjectionTimeMs: ms(1, 86_400_000).default(30_000),
    maxEjectionTimeMs: ms(1, 86_400_000).default(300_000),
    maxEjectionPercent: percent.default(10),
    // Shedding (RESOURCE_EXHAUSTED) is a server protecting itself: ejecting it for that would
    // move its load onto the others and turn a burst into an outage.
    failureCodes: z
      .array(z.number().int().min(0).max(16))
      .refine((codes) => !codes.some((code) => NEVER_ENDPOINT_FAILURE_CODES.includes(code)), {
        message: 'RESOURCE_EXHAUSTED (8) means "overloaded, go elsewhere" and never counts as a failure',
      })
      .default([...ENDPOINT_FAILURE_CODES]),
    consecutiveGatewayFailure: z
      .union([
        z.literal(false),
        z.object({ threshold: count.default(5), enforcementPercentage: percent.default(100) }).strict(),
      ])
      .default({ threshold: 5, enforcementPercentage: 100 }),
    successRateEjection: z
      .union([
        z.literal(false),
        z
          .object({
            stdevFactor: z.number().finite().min(0).default(1900),
            enforcementPercentage: percent.default(100),
            minimumHosts: count.default(5),
            requestVolume: count.default(100),
          })
          .strict(),
      ])
      .default({ stdevFactor: 1900, enforcementPercentage: 100, minimumHosts: 5, requestVolume: 100 }),
    failurePercentageEjection: z
      .union([
        z.literal(false),
        z
          .object({
            threshold: percent.default(85),
            enforcementPercentage: percent.default(100),
            minimumHosts: count.default(5),
            requestVolume: count.default(50),
          })
          .strict(),
      ])
      .default(false),
  })
  .strict();

/** The detector's tunables: createDetector()'s schema extends these with the objects it uses as given. */
export const detectorSettingsShape = {
  heartbeat: z.union([z.literal(false), heartbeatSchema]).prefault({}),
  outlier: z.union([z.literal(false), outlierSchema]).prefault({}),
  panicThreshold: z.number().finite().min(0).max(1).default(0.5),
};
const detectorSettingsSchema = z.strictObject(detectorSettingsShape);

export type HeartbeatOptionsInput = z.input<typeof heartbeatSchema>;
export type OutlierOptionsInput = z.input<typeof outlierSchema>;

export interface HeartbeatOptions {
  /**
   * `on-silence`: a Check only when the endpoint has been silent (no call answered, no status
   * pushed) for `intervalMs` with calls waiting on it, or `idleIntervalMs` without; unanswered
   * within `timeoutMs`, it is down. `poll`: a Check every `intervalMs`, scored by phi-accrual.
   */
  readonly mode: 'on-silence' | 'poll';
  readonly intervalMs: number;
  /** On-silence: silence after which an endpoint with no calls waiting is probed. */
  readonly idleIntervalMs: number;
  readonly timeoutMs: number;
  /** grpc.health.v1 service name to check; '' is the server's overall status. */
  readonly service: string;
  /** Open a Watch stream for status changes as well as the Check heartbeats. */
  readonly watch: boolean;
  /** Consecutive failed Checks (error or timeout) that mark the endpoint down. */
  readonly unhealthyThreshold: number;
  readonly phi: PhiAccrualOptions;
}

export interface DetectorSettings {
  readonly heartbeat: HeartbeatOptions | false;
  readonly outlier: OutlierDetectionOptions | false;
  /** Below this share of healthy endpoints, every endpoint is eligible (0 disables panic mode). */
  readonly panicThreshold: number;
}

/** Validates the tunable part of the options; throws InvalidDetectorOptionsError naming the field. */
export function parseDetectorSettings(input: {
  heartbeat?: HeartbeatOptionsInput | false;
  outlier?: OutlierOptionsInput | false;
  panicThreshold?: number;
}): DetectorSettings {
  return detectorSettings(parseOptions(detectorSettingsSchema, input, '', { error: invalidDetectorOption }));
}

/**
 * The settings from tunables a schema built on `detectorSettingsShape` has parsed: what one field
 * alone cannot say (a bound below another, a knob of the other mode) is checked here.
 */
export function detectorSettings({
  heartbeat,
  outlier,
  panicThreshold,
}: z.output<typeof detectorSettingsSchema>): DetectorSettings {
  if (outlier && outlier.maxEjectionTimeMs < outlier.baseEjectionTimeMs) {
    throw new InvalidDetectorOptionsError(
      'outlier.maxEjectionTimeMs',
      `is ${outlier.maxEjectionTimeMs}, below baseEjectionTimeMs ${outlier.baseEjectionTimeMs}`,
      '>= baseEjectionTimeMs',
    );
  }
  const settings: DetectorSettings = {
    panicThreshold,
    outlier: outlier ? Object.freeze({ ...outlier, failureCodes: Object.freeze([...outlier.failureCodes]) }) : false,
    heartbeat: heartbeat ? heartbeatSettings(heartbeat) : false,
  };
  return Object.freeze(settings);
}

function heartbeatSettings(input: z.output<typeof heartbeatSchema>): HeartbeatOptions {
  const { mode, service, watch, unhealthyThreshold } = input;
  if (mode === 'poll') {
    if (input.idleIntervalMs !== undefined) {
      throw new InvalidDetectorOptionsError(
        'heartbeat.idleIntervalMs',
        "applies to mode 'on-silence' only; 'poll' Checks every intervalMs whether calls wait or not",
      );
    }
    const intervalMs = input.intervalMs ?? POLL_DEFAULTS.intervalMs;
    return Object.freeze({
      mode,
      intervalMs,
      idleIntervalMs: intervalMs,
      timeoutMs: input.timeoutMs ?? Math.max(1000, intervalMs),
      service,
      watch,
      unhealthyThreshold,
      phi: Object.freeze({ ...phiAccrualDefaults(intervalMs), ...input.phi }),
    });
  }
  if (input.phi !== undefined) {
    throw new InvalidDetectorOptionsError(
      'heartbeat.phi',
      "applies to mode 'poll' only: phi-accrual scores regular heartbeats, and on-silence probes are " +
        "irregular by design (it judges by timeoutMs); set mode: 'poll' to use it",
    );
  }
  const intervalMs = input.intervalMs ?? ON_SILENCE_DEFAULTS.intervalMs;
  const idleIntervalMs = input.idleIntervalMs ?? Math.max(intervalMs, ON_SILENCE_DEFAULTS.idleIntervalMs);
  if (idleIntervalMs < intervalMs) {
    throw new InvalidDetectorOptionsError(
      'heartbeat.idleIntervalMs',
      `is ${idleIntervalMs}, below intervalMs ${intervalMs} (an idle endpoint needs no faster probing than a busy one)`,
      '>= intervalMs',
    );
  }
  return Object.freeze({
    mode,
    intervalMs,
    idleIntervalMs,
    timeoutMs: input.timeoutMs ?? ON_SILENCE_DEFAULTS.timeoutMs,
    service,
    watch,
    unhealthyThreshold,
    phi: Object.freeze(phiAccrualDefaults(intervalMs)),
  });
}
