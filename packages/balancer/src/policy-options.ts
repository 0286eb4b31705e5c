import { z } from 'zod';
import type { PickMetadata } from './picker.js';

/** Where ring-hash and maglev find the key of a call. */
export type HashKey = { readonly header: string } | ((metadata: PickMetadata, method: string) => string | undefined);

const positiveMs = z.number().positive();
const hashKey = z
  .union([
    z.strictObject({ header: z.string().trim().min(1) }),
    z
      .custom<(metadata: PickMetadata, method: string) => string | undefined>((v) => typeof v === 'function')
      .describe('(metadata, method) => string | undefined'),
  ])
  // gRPC metadata keys are lower-case: a header named in capitals would never match.
  .transform((key): HashKey => (typeof key === 'function' ? key : Object.freeze({ header: key.header.toLowerCase() })));
const ringSize = z.number().int().min(1).max(8_388_608);

/*
 * One strict schema per policy: it alone says which keys the policy takes, their ranges and
 * defaults, so an option meant for another policy (tableSize for round-robin) is refused.
 */

/** round-robin, random, weighted-round-robin and least-request take no options. */
export const noPolicyOptionsSchema = z.strictObject({});

export const peakEwmaOptionsSchema = z.strictObject({
  /** Latency a new endpoint is assumed to have until it answers. */
  defaultRttMs: positiveMs.default(30),
  decayMs: positiveMs.default(10_000),
  /** Least latency a failed or overloaded attempt counts as. */
  failurePenaltyMs: z.number().nonnegative().default(1_000),
  /** Bench an endpoint this many times slower than the median (0: no bench)… */
  slowFactor: z.union([z.literal(0), z.number().gt(1)]).default(2),
  /** …and by more than this margin. */
  slowMarginMs: z.number().nonnegative().default(5),
  /** A benched (slow) endpoint takes one probe per this interval… */
  probeIntervalMs: positiveMs.default(1_000),
  /** …and one per this many picks: probes stay under 1 ÷ this of the attempts at any call rate. */
  probeEvery: z.number().int().min(1).default(2_000),
});

export const ringHashOptionsSchema = z
  .strictObject({
    hashKey,
    minRingSize: ringSize.default(1_024),
    maxRingSize: ringSize.default(8_388_608),
  })
  .refine((o) => o.minRingSize <= o.maxRingSize, { path: ['maxRingSize'], message: 'must be >= minRingSize' });

export const maglevOptionsSchema = z.strictObject({
  hashKey,
  /** Maglev's lookup table: a prime, ≥ 100 × the endpoints for even shares. */
  tableSize: z.number().int().min(7).max(16_777_259).refine(isPrime, 'must be prime').describe('prime').default(65_537),
});

export const weightedByLoadOptionsSchema = z.strictObject({
  blackoutMs: z.number().nonnegative().default(10_000),
  expiryMs: positiveMs.default(180_000),
  weightUpdatePeriodMs: z.number().min(100).default(1_000),
  /** Also read ORCA reports out of band at this period; default: in-band reports only. */
  oobReportPeriodMs: z.number().min(100).optional(),
});

/** The options schema of each built-in policy: the union of policy options, keyed by policy name. */
export const POLICY_OPTIONS_SCHEMAS = {
  'round-robin': noPolicyOptionsSchema,
  random: noPolicyOptionsSchema,
  'weighted-round-robin': noPolicyOptionsSchema,
  'least-request': noPolicyOptionsSchema,
  'peak-ewma': peakEwmaOptionsSchema,
  'ring-hash': ringHashOptionsSchema,
  maglev: maglevOptionsSchema,
  'weighted-by-load': weightedByLoadOptionsSchema,
} as const;

type Schemas = typeof POLICY_OPTIONS_SCHEMAS;
/** The options a built-in policy takes, as given: `PolicyOptionsOf<'maglev'>`. */
export type PolicyOptionsOf<N extends keyof Schemas> = z.input<Schemas[N]>;
/** Options of any built-in policy, as given. */
export type PolicyOptionsInput = { [N in keyof Schemas]: PolicyOptionsOf<N> }[keyof Schemas];
/** Parsed, defaulted, frozen options of a built-in policy. */
export type ParsedPolicyOptions<N extends keyof Schemas> = Readonly<z.output<Schemas[N]>>;
export type PeakEwmaOptions = ParsedPolicyOptions<'peak-ewma'>;
export type RingHashOptions = ParsedPolicyOptions<'ring-hash'>;
export type MaglevOptions = ParsedPolicyOptions<'maglev'>;
export type WeightedByLoadOptions = ParsedPolicyOptions<'weighted-by-load'>;
/** What a policy of your own receives: its options as given, once its schema (if any) parsed them. */
export type PolicyOptions = Readonly<Record<string, unknown>>;

export function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Reads the call's hash key as the options say; undefined when absent. */
export function readHashKey(hashKey: HashKey, metadata: PickMetadata, method: string): string | undefined {
  if (typeof hashKey === 'function') return hashKey(metadata, method);
  return metadata.get(hashKey.header);
}
