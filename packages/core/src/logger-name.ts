import { createLogger, type Logger } from './logger.js';

const PART = /^[a-z][a-z0-9-]*$/;

/** `ballast.<package>.<part>`: the one naming scheme of Ballast's loggers ("ballast.recovery.retry"). */
export function loggerName(pkg: string, part: string): string {
  for (const [what, value] of [
    ['package', pkg],
    ['part', part],
  ] as const) {
    if (!PART.test(value)) {
      throw new Error(`logger ${what} "${value}" must be lower-case kebab-case, e.g. loggerName('recovery', 'retry')`);
    }
  }
  return `ballast.${pkg}.${part}`;
}

// One root per name for the whole process: a component made per endpoint or per method (breakers,
// trackers) shares its part's root instead of building a pino instance each time.
const roots = new Map<string, Logger>();

/**
 * The logger of one part of a package: a child of `parent` when the caller gave one (so its
 * bindings and level carry over), else the process's root logger named `ballast.<package>.<part>`.
 * Children carry the name as `component`. A logger given to a component is always its parent:
 * components pass on the logger they were given, never their own part's child, so no record
 * carries two `component` bindings.
 */
export function partLogger(pkg: string, part: string, parent?: Logger): Logger {
  const name = loggerName(pkg, part);
  if (parent) return parent.child({ component: name });
  let root = roots.get(name);
  if (!root) roots.set(name, (root = createLogger(name)));
  return root;
}
