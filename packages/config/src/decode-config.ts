import type { z } from 'zod';
import { decodeValue, type Decoded } from './decode-value.js';

/** Largest config value (JSON text, in bytes) LiveConfig applies or writes unless told otherwise. */
export const DEFAULT_MAX_CONFIG_BYTES = 64 * 1024;

/** Size first (so a huge text is never parsed), then JSON, then the schema, strictly. */
export function decodeConfig<T>(text: string, schema: z.ZodType<T>, maxValueBytes: number): Decoded<T> {
  return sizeProblem(text, maxValueBytes) ?? decodeValue(text, schema, { strict: true });
}

export function sizeProblem(
  text: string,
  maxValueBytes: number,
): { readonly ok: false; readonly field: string; readonly reason: string } | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxValueBytes) return undefined;
  return {
    ok: false,
    field: '(size)',
    reason: `value is ${bytes} bytes, over the ${maxValueBytes}-byte limit: keep config small or raise LiveConfig's maxValueBytes`,
  };
}
