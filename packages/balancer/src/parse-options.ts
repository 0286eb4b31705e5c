import { optionProblem } from '@ballast/core';
import { z } from 'zod';
import { InvalidBalancerOptionError } from './errors.js';

/**
 * Parses `input` with `schema`; the first problem becomes an InvalidBalancerOptionError naming
 * the option (with `prefix`) and the values it accepts, taken from `allowed`.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: string,
  allowed: Readonly<Record<string, string>>,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problem = optionProblem(input, result.error.issues[0], prefix, allowed);
  throw new InvalidBalancerOptionError(problem.field, problem.detail, problem.allowed);
}
