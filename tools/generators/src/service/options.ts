import { posix } from 'node:path';
import { z } from 'zod';
import { InvalidOptionError } from '../errors.js';
import type { ServiceGeneratorSchema } from './schema.js';

/** Every name the templates need, derived once from the validated options. */
export interface ServiceOptions {
  /** kebab-case service name as given: `order-audit`. */
  readonly name: string;
  /** lower_snake_case form for the proto package, its directory and the stubs path: `order_audit`. */
  readonly snake: string;
  /** PascalCase form for the service and message names: `OrderAudit`. */
  readonly pascal: string;
  /** camelCase form for TypeScript identifiers and ts-proto field names: `orderAudit`. */
  readonly camel: string;
  readonly port: number;
  /** Normalised parent directory, POSIX separators, no trailing slash: `apps`. */
  readonly directory: string;
  /** `<directory>/<name>`. */
  readonly projectRoot: string;
  /** `@ballast/app-<name>`. */
  readonly packageName: string;
  /** `<snake>.v1`. */
  readonly protoPackage: string;
  /** `proto/<snake>/v1`. */
  readonly protoDir: string;
  /** `proto/<snake>/v1/<snake>.proto`. */
  readonly protoFile: string;
  /** `@ballast/stubs/<snake>/v1/<snake>`. */
  readonly stubsModule: string;
  readonly skipCodegen: boolean;
  readonly skipFormat: boolean;
}

export const DEFAULT_PORT = 50061;
export const DEFAULT_DIRECTORY = 'apps';

const NAME = /^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const MAX_NAME_LENGTH = 40;

// The message named <Pascal> becomes a value and a type of that name in the stubs, next to ts-proto's own
// helpers and the globals the stubs and templates use unqualified; these names were found to break the
// stubs' or the generated package's typecheck (ts-proto 2.18, every candidate generated and compiled).
const RESERVED = new Set([
  // globals used unqualified by ts-proto output or the handler template
  'date',
  'map',
  'math',
  'promise',
  'symbol',
  'uint8-array',
  // declared or imported by ts-proto output
  'binary-writer',
  'builtin',
  'deep-partial',
  'message-fns',
  'server-streaming-method-result',
  // imported next to the message by the handler template
  'server-error',
  'status',
]);

const schema = z.object({
  name: z
    .string({ error: 'is required: a kebab-case service name such as inventory or order-audit' })
    .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
    .regex(
      NAME,
      'must be kebab-case: lowercase letters and digits in hyphen-separated words, each word starting ' +
        'with a letter (inventory, order-audit)',
    )
    .refine((name) => !RESERVED.has(name), {
      error: (issue) =>
        `"${String(issue.input)}" is reserved: its message would collide with a name the stubs or the ` +
        'generated code already use; choose another name, e.g. with a domain prefix',
    })
    .refine((name) => !name.endsWith('-service'), {
      error: (issue) =>
        `"${String(issue.input)}" ends in -service, and the generator already appends Service: ` +
        `use "${String(issue.input).slice(0, -'-service'.length)}"`,
    }),
  port: z.coerce
    .number({ error: 'must be a whole number from 1 to 65535' })
    .int('must be a whole number from 1 to 65535')
    .min(1, 'must be from 1 to 65535')
    .max(65535, 'must be from 1 to 65535')
    .default(DEFAULT_PORT),
  directory: z.string({ error: 'must be a path relative to the workspace root' }).default(DEFAULT_DIRECTORY),
  skipCodegen: z.boolean({ error: 'must be true or false' }).default(false),
  skipFormat: z.boolean({ error: 'must be true or false' }).default(false),
});

/**
 * Validates the raw generator options and derives every name the templates use.
 * Throws InvalidOptionError naming the option and what it accepts.
 */
export function parseServiceOptions(raw: ServiceGeneratorSchema): ServiceOptions {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidOptionError(String(issue.path[0] ?? 'options'), issue.message);
  }
  const { name, port, skipCodegen, skipFormat } = result.data;
  const directory = normaliseDirectory(result.data.directory);
  const words = name.split('-');
  const pascal = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
  const snake = words.join('_');
  return Object.freeze({
    name,
    snake,
    pascal,
    camel: pascal[0]!.toLowerCase() + pascal.slice(1),
    port,
    directory,
    projectRoot: `${directory}/${name}`,
    packageName: `@ballast/app-${name}`,
    protoPackage: `${snake}.v1`,
    protoDir: `proto/${snake}/v1`,
    protoFile: `proto/${snake}/v1/${snake}.proto`,
    stubsModule: `@ballast/stubs/${snake}/v1/${snake}`,
    skipCodegen,
    skipFormat,
  });
}

function normaliseDirectory(raw: string): string {
  const slashed = raw.trim().replace(/\\/g, '/');
  if (slashed === '') throw new InvalidOptionError('directory', 'must not be empty (default: apps)');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) {
    throw new InvalidOptionError('directory', `"${raw}" is absolute: give a path relative to the workspace root`);
  }
  const normal = posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '.' || normal === '..' || normal.startsWith('../')) {
    throw new InvalidOptionError('directory', `"${raw}" is not below the workspace root: give a path such as apps`);
  }
  for (const segment of normal.split('/')) {
    if (!SEGMENT.test(segment) || segment === 'node_modules') {
      throw new InvalidOptionError(
        'directory',
        `"${raw}" has an unusable segment "${segment}": use letters, digits, ".", "_" and "-" (not node_modules)`,
      );
    }
  }
  return normal;
}
