import { z } from 'zod';

/** The part of a JSON Schema that zod emits for option schemas and that a reader needs. */
interface Node {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly Node[];
  readonly oneOf?: readonly Node[];
  readonly properties?: Readonly<Record<string, Node>>;
  readonly items?: Node;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
}

/**
 * What the option at `path` of `schema` accepts, in words derived from the schema itself (type,
 * range, enum, default, and `.describe()` text for what a type cannot say, like "prime" or "a
 * Clock"), so the words cannot drift from the check. For an object it lists its keys.
 */
export function acceptedValues(schema: z.ZodType, path: readonly PropertyKey[]): string {
  const target = schemaAt(schema, path.map(String));
  const node = toNode(target) ?? toNode(withoutDefault(target));
  const keys = keysOfSchema(target);
  return (
    (node && render(node)) || target.description || (keys.length > 0 ? `{ ${keys.join(', ')} }` : 'see the README')
  );
}

/**
 * The keys an object option takes, in the schema's order; [] when it is not an object. Of a
 * discriminated union, the keys of the branch that `value` (the object given there) chose.
 */
export function acceptedKeys(schema: z.ZodType, path: readonly PropertyKey[], value?: unknown): string[] {
  return keysOfSchema(schemaAt(schema, path.map(String)), value);
}

/** The zod definition fields the walk below reads (zod 4's `_zod.def`). */
interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly valueType?: z.ZodType;
  readonly discriminator?: string;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Down through optional/default wrappers and pipes to the schema that gives the value its shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let def = defOf(current); ; def = defOf(current)) {
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType {
  let current = schema;
  for (const key of path) {
    const next = childSchema(unwrap(current), key);
    if (!next) return current;
    current = next;
  }
  return current;
}

function childSchema(schema: z.ZodType, key: string): z.ZodType | undefined {
  const def = defOf(schema);
  if (def.shape?.[key]) return def.shape[key];
  if (def.element && /^\d+$/.test(key)) return def.element;
  if (def.valueType) return def.valueType;
  for (const option of def.options ?? []) {
    const found = childSchema(unwrap(option), key);
    if (found) return found;
  }
  return undefined;
}

function keysOfSchema(schema: z.ZodType, value?: unknown): string[] {
  const def = defOf(unwrap(schema));
  if (def.shape) return Object.keys(def.shape);
  return [...new Set(branches(def, value).flatMap((option) => keysOfSchema(option)))];
}

function branches(def: Def, value: unknown): readonly z.ZodType[] {
  const options = def.options ?? [];
  const key = def.discriminator;
  if (key === undefined || value === null || typeof value !== 'object') return options;
  const chosen = (value as Record<string, unknown>)[key];
  const matching = options.filter((option) => defOf(unwrap(option)).shape?.[key]?.safeParse(chosen).success);
  return matching.length > 0 ? matching : options;
}

/** A default that is a function (a clock, a random source) has no JSON form: say the rest. */
function withoutDefault(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  if ((def.type === 'default' || def.type === 'prefault') && def.innerType) return withoutDefault(def.innerType);
  return schema;
}

function toNode(schema: z.ZodType): Node | undefined {
  try {
    // Functions, classes and custom checks have no JSON form: they become {} and keep their description.
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Node;
  } catch {
    return undefined;
  }
}

function keysOf(node: Node): string[] {
  if (node.properties) return Object.keys(node.properties);
  return [...new Set((node.anyOf ?? node.oneOf ?? []).flatMap(keysOf))];
}

function render(node: Node): string {
  const shape = renderShape(node);
  const text = [shape, node.description].filter(Boolean).join(shape && node.description ? ', ' : '');
  return text + renderDefault(node);
}

function renderShape(node: Node): string {
  const branches = node.anyOf ?? node.oneOf;
  if (branches) return branches.map(render).filter(Boolean).join(' or ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum)
    return node.enum.length === 1
      ? JSON.stringify(node.enum[0])
      : `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (node.type) {
    case 'integer':
      return `an integer${range(node)}`;
    case 'number':
      return `a number${range(node)}`;
    case 'string':
      return (node.minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array': {
      const items = node.items ? render(node.items) : '';
      const nonEmpty = (node.minItems ?? 0) > 0 ? 'a non-empty ' : 'an ';
      return items ? `${nonEmpty}array of ${items}` : `${nonEmpty}array`;
    }
    case 'object': {
      const keys = keysOf(node);
      return keys.length > 0 ? `{ ${keys.join(', ')} }` : 'an object';
    }
    default:
      return '';
  }
}

function range(node: Node): string {
  // An integer schema carries the safe-integer limits as bounds: they say nothing to a reader.
  const minimum = bound(node.minimum);
  const maximum = bound(node.maximum);
  const low = minimum ?? node.exclusiveMinimum;
  const high = maximum ?? node.exclusiveMaximum;
  if (minimum !== undefined && maximum !== undefined) return ` in ${minimum}..${maximum}`;
  const parts: string[] = [];
  if (low !== undefined) parts.push(`${minimum !== undefined ? '>=' : '>'} ${low}`);
  if (high !== undefined) parts.push(`${maximum !== undefined ? '<=' : '<'} ${high}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

function bound(value: number | undefined): number | undefined {
  return value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value;
}

function renderDefault(node: Node): string {
  if (node.default === undefined) return '';
  const text = JSON.stringify(node.default);
  // A long default (a whole nested object) says less than the keys already listed.
  return text.length <= 40 ? ` (default ${text})` : '';
}
