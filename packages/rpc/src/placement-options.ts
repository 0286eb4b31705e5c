import { randomUUID } from 'node:crypto';
import { DEFAULT_SUBSET_SIZE, slowStartSchema, type SlowStartOptions, type SubsetOptions } from '@ballast/balancer';
import { z } from 'zod';
import type { ConnectOptions } from './connect-options.js';
import { RpcOptionsError } from './errors.js';

/** Where a client's calls go: which replicas it connects to, its zone, and how new replicas ramp up. */
export interface Placement {
  readonly subset: SubsetOptions | undefined;
  readonly zone: string | undefined;
  readonly slowStart: SlowStartOptions | false;
}

/** One id per process: every client in it ranks replicas alike, so its subsets line up. */
const PROCESS_CLIENT_ID = randomUUID();

/** The environment variable that names the zone when `zone` is not given. */
export const ZONE_ENV = 'BALLAST_ZONE';

const subsetSchema = z.union([
  z.literal(false),
  z
    .object({
      size: z.number().int().min(1).max(10_000).default(DEFAULT_SUBSET_SIZE),
      clientId: z.string().min(1).default(PROCESS_CLIENT_ID),
      holdDownMs: z.number().int().min(0).max(3_600_000).optional(),
    })
    .strict(),
]);
const zoneSchema = z.string().trim().min(1).max(200);

/** Parses `subset`, `zone` and `slowStart` of connect(); a bad one throws naming the field. */
export function parsePlacement(options: ConnectOptions, env: NodeJS.ProcessEnv = process.env): Placement {
  const subset = subsetSchema.safeParse(options.subset ?? {});
  if (!subset.success) throw fieldError('subset', subset.error);
  const zoneInput = options.zone ?? (env[ZONE_ENV] || undefined);
  const zone = zoneInput === undefined ? undefined : zoneSchema.safeParse(zoneInput);
  if (zone && !zone.success) {
    throw new RpcOptionsError(
      'connect',
      options.zone === undefined ? `zone (from ${ZONE_ENV})` : 'zone',
      `expected a non-empty zone name of at most 200 characters, got ${JSON.stringify(zoneInput)}`,
    );
  }
  const slowStart = z.union([z.literal(false), slowStartSchema]).safeParse(options.slowStart ?? {});
  if (!slowStart.success) throw fieldError('slowStart', slowStart.error);
  return {
    subset: subset.data === false ? undefined : { ...subset.data, zone: zone?.data },
    zone: zone?.data,
    slowStart: slowStart.data,
  };
}

function fieldError(option: string, error: z.ZodError): RpcOptionsError {
  // A union reports its last branch's problems; the object branch is the one that names a field.
  const issue = error.issues[0]!;
  const inner = issue.code === 'invalid_union' ? (issue.errors.at(-1)?.[0] ?? issue) : issue;
  const path = [option, ...inner.path.map(String)].join('.');
  const detail =
    inner.code === 'unrecognized_keys' ? `unknown key ${inner.keys.map((k) => `"${k}"`).join(', ')}` : inner.message;
  return new RpcOptionsError('connect', path, `${detail} (or false to turn it off)`);
}
