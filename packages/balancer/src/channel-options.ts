import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import type { Clock, Endpoint, EndpointSource, HealthView, Logger, OutcomeListener, Random } from '@ballast/core';
import { EndpointTable } from './endpoint-table.js';
import { parseOptions } from './parse-options.js';
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

const schema = z.object({
  service: z.string().trim().min(1),
  source: z.union([z.array(z.unknown()), z.custom<EndpointSource>(hasMethods('current', 'subscribe'))]),
  policy: z.union([z.string().min(1), z.custom<PolicyFactory>(isFunction)]).optional(),
  policyOptions: z.unknown().optional(),
  health: z.custom<HealthView>(hasMethods('eligible', 'onChange')).optional(),
  onOutcome: z
    .union([z.custom<OutcomeListener>(isFunction), z.array(z.custom<OutcomeListener>(isFunction))])
    .optional(),
  waitForReady: z.boolean().optional(),
  zone: z.string().trim().min(1).optional(),
  slowStart: z.union([z.literal(false), slowStartSchema]).optional(),
  table: z.custom<EndpointTable>((v) => v instanceof EndpointTable).optional(),
  credentials: z.custom<grpc.ChannelCredentials>((v) => v instanceof grpc.ChannelCredentials).optional(),
  channelOptions: z.record(z.string(), z.unknown()).optional(),
  clock: z.custom<Clock>(hasMethods('now')).optional(),
  random: z.custom<Random>(isFunction).optional(),
  logger: z.custom<Logger>(hasMethods('info', 'warn', 'error', 'debug')).optional(),
});

const ALLOWED: Record<string, string> = {
  service: 'a non-empty service name',
  source: 'an EndpointSource ({ current, subscribe }) or an array of endpoints / "host:port" strings',
  policy: 'a registered policy name or a PolicyFactory function',
  health: 'a HealthView ({ eligible, onChange })',
  onOutcome: 'a function (outcome) => void or an array of them',
  waitForReady: 'true or false',
  zone: 'a non-empty zone name (the topology.kubernetes.io/zone of the node)',
  slowStart: 'false or { windowMs?: integer ms 1..3600000, aggression?: number > 0, minWeightPercent?: 0..100 }',
  'slowStart.windowMs': 'an integer number of ms from 1 to 3600000 (default 10000)',
  'slowStart.aggression': 'a number > 0 (default 1: linear)',
  'slowStart.minWeightPercent': 'a percentage 0..100 (default 10)',
  table: 'an EndpointTable',
  credentials: 'a grpc.ChannelCredentials (grpc.credentials.createInsecure() by default)',
  channelOptions: 'a grpc.ChannelOptions object',
  clock: 'a Clock ({ now(): number })',
  random: 'a function () => number in [0, 1)',
  logger: 'a pino Logger',
  '': 'an options object with service and source',
};

/** Checks the shape of the options; policy names and policy options are checked by the registry. */
export function checkChannelOptions(options: BalancedChannelOptions): void {
  parseOptions(schema, options, '', ALLOWED);
}
