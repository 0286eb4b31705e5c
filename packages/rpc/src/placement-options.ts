import { randomUUID } from 'node:crypto';
import { DEFAULT_SUBSET_SIZE, slowStartSchema, type SlowStartOptions, type SubsetOptions } from '@ballast/balancer';
import { parseOptions } from '@ballast/core';
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
const zoneSchema = z.string().trim().min(1).max(200).describe('a zone name of at most 200 characters');
const placementSchema = z.strictObject({
  subset: subsetSchema.prefault({}),
  zone: zoneSchema.optional(),
  slowStart: z.union([z.literal(false), slowStartSchema]).prefault({}),
});

/** Parses `subset`, `zone` and `slowStart` of connect(); a bad one throws naming the field. */
export function parsePlacement(options: ConnectOptions, env: NodeJS.ProcessEnv = process.env): Placement {
  const zoneFromEnv = options.zone === undefined ? env[ZONE_ENV] || undefined : undefined;
  const placement = parseOptions(
    placementSchema,
    { subset: options.subset, zone: options.zone ?? zoneFromEnv, slowStart: options.slowStart },
    '',
    {
      error: (option, problem, allowed) =>
        new RpcOptionsError(
          'connect',
          zoneFromEnv && option === 'zone' ? `zone (from ${ZONE_ENV})` : option,
          problem,
          allowed,
        ),
    },
  );
  const { subset, zone, slowStart } = placement;
  return { subset: subset === false ? undefined : { ...subset, zone }, zone, slowStart };
}
