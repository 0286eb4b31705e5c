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
  const issue = result.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const field = [prefix, ...path].filter(Boolean).join('.');
  const key = path[0] ?? '';
  const received = describe(valueAt(input, path));
  throw new InvalidBalancerOptionError(
    field || prefix,
    `is ${received} (${issue?.message ?? 'invalid'})`,
    allowed[key] ?? allowed[''] ?? 'see the README',
  );
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'missing';
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}
