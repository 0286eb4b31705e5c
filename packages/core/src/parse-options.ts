import type { z } from 'zod';
import { InvalidOptionError } from './invalid-option-error.js';
import { optionProblem } from './option-problem.js';

/** Builds a package's own InvalidOptionError subclass from the option, problem and allowed values. */
export type InvalidOptionFactory = (option: string, problem: string, allowed: string | undefined) => Error;

/**
 * Parses `input` (undefined counts as `{}`) with a zod `schema` into a frozen value with its
 * defaults. The first problem becomes an InvalidOptionError naming the option as `where.path`,
 * the value given with the schema's complaint, and what is accepted (`allowed[topLevelName]`)
 * when the caller says so.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
  options: {
    readonly allowed?: Readonly<Record<string, string>>;
    readonly error?: InvalidOptionFactory;
  } = {},
): Readonly<z.output<S>> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return Object.freeze(result.data) as Readonly<z.output<S>>;
  const issue = result.error.issues[0];
  const problem = optionProblem(input, issue, where, options.allowed ?? {});
  const allowed = options.allowed ? problem.allowed : undefined;
  return fail(options.error, problem.field, problem.detail, allowed);
}

function fail(
  factory: InvalidOptionFactory | undefined,
  option: string,
  problem: string,
  allowed: string | undefined,
): never {
  throw factory ? factory(option, problem, allowed) : new InvalidOptionError(option, problem, { allowed });
}
