import type { RecordWithTtl, SrvRecord } from 'node:dns';
import { clockSchema, parseOptions, schedulerSchema, type Logger } from '@ballast/core';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { invalidConfigOption } from './errors.js';

/** The lookups DnsSource makes: node:dns/promises' Resolver fits, and tests may pass their own. */
export interface DnsResolver {
  resolve4(host: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(host: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

const resolverSchema = z
  .custom<DnsResolver>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      ['resolve4', 'resolve6', 'resolveSrv'].every(
        (name) => typeof (value as Record<string, unknown>)[name] === 'function',
      ),
    'expected a resolver { resolve4, resolve6, resolveSrv }',
  )
  .describe('a node:dns/promises Resolver or any { resolve4, resolve6, resolveSrv }');

const intervalSchema = z.number().finite().positive();

const dnsSourceOptionsSchema = z.strictObject({
  /** A resolver to use instead of node:dns with `servers` (or the target's authority, or the system's). */
  resolver: resolverSchema.optional(),
  /** DNS servers ("127.0.0.1:5353") for the default resolver; the target's authority wins over it. */
  servers: z.array(z.string().min(1)).readonly().optional(),
  /** Longest time between two resolutions; sooner when the answer's TTL says so. */
  intervalMs: intervalSchema.default(30_000),
  /** Shortest time between two resolutions, whatever asks for them (at most `intervalMs`). */
  minIntervalMs: intervalSchema.default(1_000),
  /** Time and the re-resolution timer; a VirtualScheduler in tests. Default: real time. */
  scheduler: schedulerSchema.optional(),
  /** Time alone, with real timers (for callers that inject only a clock). */
  clock: clockSchema.optional(),
  logger: z.custom<Logger>().describe('a pino Logger').optional(),
  /** Where ballast_dns_resolution_failures_total is registered; default prom-client's global registry. */
  registry: z
    .custom<Registry>((value) => typeof value === 'object' && value !== null)
    .describe('a prom-client Registry')
    .optional(),
});

export type DnsSourceOptions = z.input<typeof dnsSourceOptionsSchema>;
export type DnsSourceConfig = Readonly<z.output<typeof dnsSourceOptionsSchema>>;

/** Parses DnsSource's options; a bad or unknown field throws InvalidOptionError naming it. */
export function parseDnsSourceOptions(options: DnsSourceOptions | undefined): DnsSourceConfig {
  return parseOptions(dnsSourceOptionsSchema, options, 'DnsSource', { error: invalidConfigOption });
}
