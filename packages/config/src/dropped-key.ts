/**
 * The dotted path of the first key in `input` that a schema dropped from its `output`, or
 * undefined. zod strips unknown keys silently, so a misspelt field would otherwise read as absent
 * and fall back to its default; schemas that mean to keep extra keys (`z.looseObject`,
 * `.passthrough()`) keep them in the output and pass.
 */
export function droppedKey(input: unknown, output: unknown, path: readonly string[] = []): string | undefined {
  if (Array.isArray(input) && Array.isArray(output)) {
    if (input.length !== output.length) return undefined;
    for (let i = 0; i < input.length; i++) {
      const found = droppedKey(input[i], output[i], [...path, String(i)]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isPlainObject(input) || !isPlainObject(output)) return undefined;
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(output, key)) return [...path, key].join('.');
    const found = droppedKey(input[key], output[key], [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
