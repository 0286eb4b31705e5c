import type { z } from 'zod';
import { InvalidOptionError } from './invalid-option-error.js';
import { optionProblem, type OptionProblem } from './option-problem.js';

/**
 * Builds a package's own InvalidOptionError subclass from the option, its problem and what it
 * accepts; `problem` is the whole finding, for a package that says more (which policy takes a key).
 */
export type InvalidOptionFactory = (option: string, detail: string, allowed: string, problem: OptionProblem) => Error;

/**
 * Parses `input` (undefined counts as `{}`) with a zod `schema` into a frozen value with its
 * defaults: the one way Ballast reads options. The schema is the only source of keys, ranges and
 * defaults: make objects strict so an unknown key is refused. The first problem becomes an
 * InvalidOptionError naming the option as `where.path`, the value given with the schema's
 * complaint, and what is accepted, in words derived from the schema.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
  options: { readonly error?: InvalidOptionFactory } = {},
): Readonly<z.output<S>> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return Object.freeze(result.data) as Readonly<z.output<S>>;
  const problem = optionProblem(input, result.error.issues[0], where, schema);
  if (options.error) throw options.error(problem.field, problem.detail, problem.allowed, problem);
  throw new InvalidOptionError(problem.field, problem.detail, { allowed: problem.allowed });
}
