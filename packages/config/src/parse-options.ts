import type { z } from 'zod';
import { InvalidOptionError } from './errors.js';

/** Parses options into a frozen value; the first bad field throws InvalidOptionError naming it. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, owner: string): Readonly<z.output<T>> {
  const result = schema.safeParse(value);
  if (result.success) return Object.freeze(result.data) as Readonly<z.output<T>>;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(options)';
  throw new InvalidOptionError(`${owner} ${field}`, issue.message);
}
