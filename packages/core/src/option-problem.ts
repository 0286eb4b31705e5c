/** The first problem a schema found in some options (a zod issue has this shape). */
export interface OptionIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** What an invalid-option error says: which option, what it was, what it accepts. */
export interface OptionProblem {
  /** Dotted path of the option, after `prefix`: "policyOptions.decayMs". */
  readonly field: string;
  /** "is -1 (Too small: expected number to be >=0)". */
  readonly detail: string;
  readonly allowed: string;
}

/**
 * Turns a schema issue into the three parts of a helpful error, naming the offending value.
 * `allowed` maps a top-level option name to the values it accepts ('' for the options object).
 */
export function optionProblem(
  input: unknown,
  issue: OptionIssue | undefined,
  prefix: string,
  allowed: Readonly<Record<string, string>>,
): OptionProblem {
  const path = issue?.path.map(String) ?? [];
  const field = [prefix, ...path].filter(Boolean).join('.') || prefix;
  const received = describe(valueAt(input, path));
  return {
    field,
    detail: `is ${received} (${issue?.message ?? 'invalid'})`,
    allowed: allowed[path[0] ?? ''] ?? allowed[''] ?? 'see the README',
  };
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
