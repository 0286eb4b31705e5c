import { NEVER_ENDPOINT_FAILURE_CODES, type Logger } from '@ballast/core';
import type { Registry } from 'prom-client';
import { z } from 'zod';

/** Zod pieces shared by several option schemas. */
export const clockSchema = z
  .custom<{ now(): number }>(
    (value) => typeof value === 'object' && value !== null && typeof (value as { now?: unknown }).now === 'function',
    { message: 'expected a Clock { now(): number }' },
  )
  .describe('a Clock { now(): number }');
export const randomSchema = z
  .custom<() => number>((value) => typeof value === 'function', {
    message: 'expected a function returning a number in [0, 1)',
  })
  .describe('a function returning a number in [0, 1)');

export const loggerSchema = z.custom<Logger>().describe('a pino Logger');
export const registrySchema = z
  .custom<Registry>((value) => typeof value === 'object' && value !== null)
  .describe('a prom-client Registry');

/**
 * gRPC codes that count as failures of an endpoint or method. RESOURCE_EXHAUSTED is refused: a
 * server shedding load protects itself and the call goes elsewhere, so counting it as a failure
 * would turn shedding into an outage (see `classify` in @ballast/core).
 */
export const failureCodesSchema = z
  .array(z.number().int().min(0).max(16))
  .refine((codes) => !codes.some((code) => NEVER_ENDPOINT_FAILURE_CODES.includes(code)), {
    message: 'RESOURCE_EXHAUSTED (8) means "overloaded, go elsewhere" and never counts as a failure',
  })
  .describe('gRPC status codes other than RESOURCE_EXHAUSTED (8): shedding is never a failure');
