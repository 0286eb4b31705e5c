import { NEVER_ENDPOINT_FAILURE_CODES, parseOptions as parseWith } from '@ballast/core';
import { z } from 'zod';
import { InvalidRecoveryOptionError } from './errors.js';

/**
 * Parses `input` with `schema` into a frozen value (core's parseOptions); the first problem
 * becomes an InvalidRecoveryOptionError naming the option (with `prefix`) and the values it
 * accepts, from `allowed`.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: string,
  allowed: Readonly<Record<string, string>>,
): Readonly<z.output<S>> {
  return parseWith(schema, input, prefix, {
    allowed,
    error: (option, problem, accepts) => new InvalidRecoveryOptionError(option, problem, accepts ?? 'see the README'),
  });
}

/** Zod pieces shared by several option schemas. */
export const clockSchema = z.custom<{ now(): number }>(
  (value) => typeof value === 'object' && value !== null && typeof (value as { now?: unknown }).now === 'function',
  { message: 'expected a Clock { now(): number }' },
);
export const randomSchema = z.custom<() => number>((value) => typeof value === 'function', {
  message: 'expected a function returning a number in [0, 1)',
});

/**
 * gRPC codes that count as failures of an endpoint or method. RESOURCE_EXHAUSTED is refused: a
 * server shedding load protects itself and the call goes elsewhere, so counting it as a failure
 * would turn shedding into an outage (see `classify` in @ballast/core).
 */
export const failureCodesSchema = z
  .array(z.number().int().min(0).max(16))
  .refine((codes) => !codes.some((code) => NEVER_ENDPOINT_FAILURE_CODES.includes(code)), {
    message: 'RESOURCE_EXHAUSTED (8) means "overloaded, go elsewhere" and never counts as a failure',
  });
