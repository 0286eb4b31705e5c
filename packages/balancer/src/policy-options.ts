import { z } from 'zod';
import type { PickMetadata } from './picker.js';
import { parseOptions } from './parse-options.js';

/** Where ring-hash and maglev find the key of a call. */
export type HashKey = { readonly header: string } | ((metadata: PickMetadata, method: string) => string | undefined);

const positiveMs = z.number().finite().positive();

const schema = z
  .object({
    hashKey: z
      .union([
        z.strictObject({ header: z.string().trim().min(1) }),
        z.custom<(metadata: PickMetadata, method: string) => string | undefined>((v) => typeof v === 'function'),
      ])
      .optional(),
    defaultRttMs: positiveMs.default(30),
    decayMs: positiveMs.default(10_000),
    failurePenaltyMs: z.number().finite().nonnegative().default(1_000),
    slowFactor: z.union([z.literal(0), z.number().finite().gt(1)]).default(2),
    slowMarginMs: z.number().finite().nonnegative().default(5),
    probeIntervalMs: positiveMs.default(1_000),
    minRingSize: z.number().int().min(1).max(8_388_608).default(1_024),
    maxRingSize: z.number().int().min(1).max(8_388_608).default(8_388_608),
    tableSize: z.number().int().min(7).max(16_777_259).refine(isPrime, 'must be prime').default(65_537),
    blackoutMs: z.number().finite().nonnegative().default(10_000),
    expiryMs: positiveMs.default(180_000),
    weightUpdatePeriodMs: z.number().finite().min(100).default(1_000),
    oobReportPeriodMs: z.number().finite().min(100).optional(),
  })
  .strict()
  .refine((o) => o.minRingSize <= o.maxRingSize, { path: ['maxRingSize'], message: 'must be >= minRingSize' });

export type PolicyOptionsInput = z.input<typeof schema>;
/** Parsed, defaulted, frozen policy options. */
export type PolicyOptions = Readonly<z.output<typeof schema>>;

const ALLOWED: Record<string, string> = {
  hashKey: '{ header: "<non-empty metadata key>" } or (metadata, method) => string | undefined',
  defaultRttMs: 'a finite number of milliseconds > 0 (default 30)',
  decayMs: 'a finite number of milliseconds > 0 (default 10000)',
  failurePenaltyMs: 'a finite number of milliseconds >= 0 (default 1000)',
  slowFactor: '0 (no bench) or a finite number > 1 (default 2)',
  slowMarginMs: 'a finite number of milliseconds >= 0 (default 5)',
  probeIntervalMs: 'a finite number of milliseconds > 0 (default 1000)',
  minRingSize: 'an integer in 1..8388608 (default 1024)',
  maxRingSize: 'an integer in 1..8388608, >= minRingSize (default 8388608)',
  tableSize: 'a prime in 7..16777259 (default 65537)',
  blackoutMs: 'a finite number of milliseconds >= 0 (default 10000)',
  expiryMs: 'a finite number of milliseconds > 0 (default 180000)',
  weightUpdatePeriodMs: 'a finite number of milliseconds >= 100 (default 1000)',
  oobReportPeriodMs: 'a finite number of milliseconds >= 100 (default: no out-of-band reports)',
  '': `the keys ${['hashKey', 'defaultRttMs', 'decayMs', 'failurePenaltyMs', 'slowFactor', 'slowMarginMs', 'probeIntervalMs', 'minRingSize', 'maxRingSize', 'tableSize', 'blackoutMs', 'expiryMs', 'weightUpdatePeriodMs', 'oobReportPeriodMs'].join(', ')}`,
};

/** Validates policy options; throws InvalidBalancerOptionError naming the field. */
export function parsePolicyOptions(input: PolicyOptionsInput | undefined): PolicyOptions {
  const parsed = parseOptions(schema, input ?? {}, 'policyOptions', ALLOWED);
  if (parsed.hashKey && typeof parsed.hashKey === 'object') {
    parsed.hashKey = Object.freeze({ header: parsed.hashKey.header.toLowerCase() });
  }
  return Object.freeze(parsed);
}

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
