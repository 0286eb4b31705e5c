import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import {
  allHealthy,
  parseOptions,
  systemClock,
  systemRandom,
  type Clock,
  type Endpoint,
  type EndpointSource,
  type HealthView,
  type Logger,
  type OutcomeListener,
  type Random,
} from '@ballast/core';
import { EndpointTable } from './endpoint-table.js';
import { invalidBalancerOption } from './errors.js';
import type { PolicyFactory } from './picker.js';
import type { PolicyOptionsInput } from './policy-options.js';
import type { PolicyName } from './policy-registry.js';
import { slowStartSchema, type SlowStartOptionsInput } from './slow-start/slow-start.js';

export interface BalancedChannelOptions {
  /** Name of the service behind the endpoints; used in error messages and logs. */
  service: string;
  /** A live source of endpoints, or a fixed list ("host:port" strings become endpoints with that id). */
  source: EndpointSource | readonly (Endpoint | string)[];
  /** Policy name (default 'peak-ewma') or a factory of your own. */
  policy?: PolicyName | PolicyFactory;
  policyOptions?: PolicyOptionsInput;
  /** Which endpoints may take picks (a failure detector); default: all. */
  health?: HealthView;
  /** Called once per attempt with its endpoint, code, latency, method and load report. */
  onOutcome?: OutcomeListener | readonly OutcomeListener[];
  /**
   * The client's zone: first attempts go to endpoints in it while enough of them are healthy
   * (Envoy's overprovisioning factor 1.4), retries of a call that failed there go to other zones.
   */
  zone?: string;
  /** Ramp a new or returning endpoint up to its share (Envoy's slow start); default off. */
  slowStart?: SlowStartOptionsInput | false;
  /** Wait for an endpoint (up to the call's deadline) instead of failing fast, for every call. */
  waitForReady?: boolean;
  /**
   * The client's endpoint table, when several channels and a detector share one connection per
   * endpoint (connect() does this). Without it the channel builds its own from `source`,
   * `credentials` and `channelOptions`; with it those three are the table's business.
   */
  table?: EndpointTable;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods =
  (...names: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'object' && v !== null && names.every((n) => isFunction((v as Record<string, unknown>)[n]));
const listener = z.custom<OutcomeListener>(isFunction).describe('a function (outcome) => void');

const schema = z.strictObject({
  service: z.string().trim().min(1),
  source: z.union([
    z.array(z.unknown()).describe('an array of endpoints or "host:port" strings'),
    z.custom<EndpointSource>(hasMethods('current', 'subscribe')).describe('an EndpointSource { current, subscribe }'),
  ]),
  policy: z
    .union([z.string().min(1), z.custom<PolicyFactory>(isFunction).describe('a PolicyFactory function')])
    .optional(),
  // Checked by the policy's own schema once the policy is known.
  policyOptions: z.custom<PolicyOptionsInput>().optional(),
  health: z
    .custom<HealthView>(hasMethods('eligible', 'onChange'))
    .describe('a HealthView { eligible, onChange }')
    .default(() => allHealthy),
  onOutcome: z.union([listener, z.array(listener)]).optional(),
  waitForReady: z.boolean().default(false),
  zone: z.string().trim().min(1).optional(),
  slowStart: z.union([z.literal(false), slowStartSchema]).optional(),
  table: z
    .custom<EndpointTable>((v) => v instanceof EndpointTable)
    .describe('an EndpointTable')
    .optional(),
  credentials: z
    .custom<grpc.ChannelCredentials>((v) => v instanceof grpc.ChannelCredentials)
    .describe('a grpc.ChannelCredentials')
    .optional(),
  channelOptions: z.record(z.string(), z.unknown()).optional(),
  clock: z
    .custom<Clock>(hasMethods('now'))
    .describe('a Clock { now(): number }')
    .default(() => systemClock),
  random: z
    .custom<Random>(isFunction)
    .describe('a function () => number in [0, 1)')
    .default(() => systemRandom),
  logger: z
    .custom<Logger>(hasMethods('info', 'warn', 'error', 'debug'))
    .describe('a pino Logger')
    .optional(),
});

/** The channel's options once parsed: defaults applied here, once. */
export type ParsedChannelOptions = Readonly<z.output<typeof schema>>;

/** Parses the options; policy options are parsed by the policy's own schema when it is built. */
export function parseChannelOptions(options: BalancedChannelOptions): ParsedChannelOptions {
  return parseOptions(schema, options, '', { error: invalidBalancerOption });
}
