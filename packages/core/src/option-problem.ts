import type { z } from 'zod';
import { acceptedKeys, acceptedValues } from './accepted-values.js';

/** The first problem a schema found in some options (a zod issue has this shape). */
export interface OptionIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  /** The keys a strict object did not know, for an `unrecognized_keys` issue. */
  readonly keys?: readonly string[];
  /** Each branch's issues, for an `invalid_union` issue. */
  readonly errors?: readonly (readonly OptionIssue[])[];
}

/** What an invalid-option error says: which option, what it was, what it accepts. */
export interface OptionProblem {
  /** Dotted path of the option, after `prefix`: "policyOptions.decayMs". */
  readonly field: string;
  /** "is -1 (Too small: expected number to be >=0)". */
  readonly detail: string;
  /** What the option accepts, derived from the schema: "a number > 0 (default 30)". */
  readonly allowed: string;
  /** Set when the problem is a key the schema does not know: the keys it does. */
  readonly acceptedKeys?: readonly string[];
}

/**
 * Turns a schema issue into the three parts of a helpful error, naming the offending value. What
 * is accepted comes from `schema`: for an unknown key, the keys the object takes.
 */
export function optionProblem(
  input: unknown,
  issue: OptionIssue | undefined,
  prefix: string,
  schema: z.ZodType,
): OptionProblem {
  const found = issue ? innermost(issue, []) : { issue, path: [] };
  return describeIssue(input, found.issue, found.path, prefix, schema);
}

function describeIssue(
  input: unknown,
  issue: OptionIssue | undefined,
  path: readonly string[],
  prefix: string,
  schema: z.ZodType,
): OptionProblem {
  if (issue?.code === 'unrecognized_keys' && issue.keys?.length) {
    const keys = acceptedKeys(schema, path, valueAt(input, path));
    const unknown = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return {
      field: dotted(prefix, [...path, issue.keys[0]!]),
      detail: `is not an option (unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${unknown})`,
      allowed: keys.length > 0 ? `the keys ${keys.join(', ')}` : 'none: it takes no options',
      acceptedKeys: keys,
    };
  }
  return {
    field: dotted(prefix, path),
    detail: `is ${describe(valueAt(input, path))} (${issue?.message ?? 'invalid'})`,
    allowed: acceptedValues(schema, path),
  };
}

/**
 * A `false | {…}` union reports "invalid input" at the union; the branch the value's type chose
 * (the one whose complaint is not about the type itself) knows the real field.
 */
function innermost(issue: OptionIssue, prefix: readonly string[]): { issue: OptionIssue; path: string[] } {
  const path = [...prefix, ...issue.path.map(String)];
  if (issue.code === 'invalid_union' && issue.errors) {
    const branch = issue.errors.find((errors) => errors[0] && !isAboutTheType(errors[0]));
    if (branch?.[0]) return innermost(branch[0], path);
  }
  return { issue, path };
}

function isAboutTheType(issue: OptionIssue): boolean {
  return issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
}

function dotted(prefix: string, path: readonly string[]): string {
  return [prefix, ...path].filter(Boolean).join('.') || prefix;
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
