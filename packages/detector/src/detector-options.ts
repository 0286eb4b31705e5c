import {
  parseOptions,
  type Clock,
  type Endpoint,
  type EndpointSource,
  type Logger,
  type Random,
  type Scheduler,
} from '@ballast/core';
import type { Channel } from 'nice-grpc';
import { z } from 'zod';
import {
  detectorSettings,
  detectorSettingsShape,
  type DetectorSettings,
  type HeartbeatOptionsInput,
  type OutlierOptionsInput,
} from './detector-settings.js';
import { invalidDetectorOption } from './errors.js';
import type { DetectorMetrics } from './detector-metrics.js';

export interface DetectorOptions {
  readonly source: EndpointSource;
  /** What the endpoints serve (e.g. "shop.v1.CatalogService"): the `target` label and log field. Default "default". */
  readonly target?: string;
  /** Active grpc.health.v1 heartbeats; `false` for passive detection only. */
  readonly heartbeat?: HeartbeatOptionsInput | false;
  /**
   * The connection health checks use for an endpoint: the one its calls use (connect() passes
   * its endpoint table's), so checks share the calls' credentials and judge the path calls take.
   * Without it, or when it answers undefined, the detector opens its own plaintext channel.
   */
  readonly connection?: (endpoint: Endpoint) => Channel | undefined;
  /**
   * Calls waiting on an endpoint now (connect() passes its endpoint table's count). On-silence
   * probing asks a silent endpoint sooner while calls wait on it. Without it, every endpoint is
   * taken to have calls waiting: quick detection, at the busy probe rate.
   */
  readonly inFlight?: (endpoint: Endpoint) => number;
  /** Passive outlier ejection from call outcomes; `false` to turn it off. */
  readonly outlier?: OutlierOptionsInput | false;
  /** Healthy share below which every endpoint is eligible; default 0.5, 0 turns panic mode off. */
  readonly panicThreshold?: number;
  /** Time and every timer (sweeps, health checks); a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
  /** Time alone, with real timers (for callers that inject only a clock). */
  readonly clock?: Clock;
  readonly random?: Random;
  /** The parent of the detector's `ballast.detector.detector` logger. */
  readonly logger?: Logger;
  /** Default: metrics on the shared `metricsRegistry`; `false` records none. */
  readonly metrics?: DetectorMetrics | false;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const object = <T>(description: string, test: (value: Record<string, unknown>) => boolean = () => true) =>
  z.custom<T>((value) => isObject(value) && test(value)).describe(description);
const fn = <T>(description: string) => z.custom<T>((value) => typeof value === 'function').describe(description);

// The objects and functions the detector uses as given are checked for their kind only; the
// tunables are parsed in full. One strict schema: a key the detector does not know is refused.
const detectorOptionsSchema = z.strictObject({
  ...detectorSettingsShape,
  source: object<EndpointSource>(
    'an EndpointSource { current(), subscribe(listener) }',
    (value) => typeof value.current === 'function' && typeof value.subscribe === 'function',
  ),
  target: z.string().default('default'),
  connection: fn<NonNullable<DetectorOptions['connection']>>('a function (endpoint) => Channel | undefined').optional(),
  inFlight: fn<NonNullable<DetectorOptions['inFlight']>>('a function (endpoint) => number').optional(),
  scheduler: object<Scheduler>('a Scheduler', (value) => typeof value.setTimeout === 'function').optional(),
  clock: object<Clock>('a Clock { now(): number }', (value) => typeof value.now === 'function').optional(),
  random: fn<Random>('a function () => number in [0, 1)').optional(),
  logger: object<Logger>('a pino Logger').optional(),
  metrics: z.union([z.literal(false), object<DetectorMetrics>('DetectorMetrics')]).optional(),
} satisfies { [K in keyof DetectorOptions]-?: z.ZodType });

/** createDetector()'s options once parsed: the tunables as settings, the rest as given. */
export type ParsedDetectorOptions = Omit<z.output<typeof detectorOptionsSchema>, keyof DetectorSettings> & {
  readonly settings: DetectorSettings;
};

/**
 * Parses every option of createDetector(); an unknown key, a missing source or a bad value throws
 * InvalidDetectorOptionsError naming the field and what it accepts.
 */
export function parseDetectorOptions(input: DetectorOptions): ParsedDetectorOptions {
  const { heartbeat, outlier, panicThreshold, ...given } = parseOptions(detectorOptionsSchema, input, '', {
    error: invalidDetectorOption,
  });
  return Object.freeze({ ...given, settings: detectorSettings({ heartbeat, outlier, panicThreshold }) });
}
