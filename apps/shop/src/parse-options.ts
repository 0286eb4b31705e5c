import type { z } from 'zod';
import { ShopOptionsError } from './errors.js';

/** Parses options with `schema` into a frozen value; the first problem throws ShopOptionsError naming its field. */
export function parseOptions<S extends z.ZodType>(owner: string, schema: S, input: unknown): Readonly<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return Object.freeze(result.data) as Readonly<z.output<S>>;
  const issue = result.error.issues[0]!;
  throw new ShopOptionsError(owner, issue.path.join('.') || '(options)', issue.message);
}
