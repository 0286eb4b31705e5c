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

/**
 * The logger of one part of a package: a child of `parent` when the caller gave one (so its
 * bindings and level carry over, and one component never makes a root logger per instance),
 * else a root logger named `ballast.<package>.<part>`. Children carry the name as `component`.
 */
export function partLogger(pkg: string, part: string, parent?: Logger): Logger {
  const name = loggerName(pkg, part);
  return parent ? parent.child({ component: name }) : createLogger(name);
}
