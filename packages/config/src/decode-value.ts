import type { z } from 'zod';
import { droppedKey } from './dropped-key.js';

export type Decoded<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly field: string; readonly reason: string };

export interface CheckOptions {
  /** Reject keys the schema does not know (and would silently drop) instead of ignoring them. */
  readonly strict?: boolean;
}

/** Parses a stored JSON text, then checks it against `schema` if given; names the first failing field. Never throws. */
export function decodeValue<T = unknown>(text: string, schema?: z.ZodType<T>, options: CheckOptions = {}): Decoded<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, field: '(json)', reason: `not valid JSON: ${(err as Error).message}` };
  }
  return schema ? checkValue(json, schema, options) : { ok: true, value: json as T };
}

/** Validates a value against a schema; names the first failing field. Never throws. */
export function checkValue<T>(value: unknown, schema: z.ZodType<T>, options: CheckOptions = {}): Decoded<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { ok: false, field: issue.path.length > 0 ? issue.path.join('.') : '(root)', reason: issue.message };
  }
  if (options.strict) {
    const unknown = droppedKey(value, result.data);
    if (unknown !== undefined) {
      return { ok: false, field: unknown, reason: 'unknown key: not in the schema (misspelt?)' };
    }
  }
  return { ok: true, value: result.data };
}
