import { BallastError } from './ballast-error.js';

export interface InvalidOptionErrorOptions {
  /** What the option accepts, when it can be said in a few words: "an integer in [1, 1000]". */
  readonly allowed?: string;
  /** A package's own code; "INVALID_OPTION" by default. */
  readonly code?: string;
  /** A package's own wording; by default `option "<option>" <problem>: allowed values are <allowed>`. */
  readonly message?: string;
}

/** The fields every invalid-option error has, whichever package threw it. */
export interface InvalidOption {
  readonly code: string;
  /** Dotted path of the offending field: "retry.backoff.baseMs". */
  readonly option: string;
  /** What is wrong with the value given: "is -1 (Too small: expected number to be >=0)". */
  readonly problem: string;
  /** What the option accepts, when known. */
  readonly allowed: string | undefined;
}

const BRAND = Symbol.for('ballast.invalid-option');

/**
 * Gives an error of a package's own hierarchy (a `ConfigError`, a `BalancerError`…) the
 * invalid-option shape, so `instanceof InvalidOptionError` holds for it too: one class cannot
 * extend both its package's base and this one.
 */
export function markInvalidOption(
  error: BallastError,
  option: string,
  problem: string,
  allowed: string | undefined,
): asserts error is BallastError & InvalidOption {
  Object.defineProperties(error, {
    option: { value: option, enumerable: true },
    problem: { value: problem, enumerable: true },
    allowed: { value: allowed, enumerable: true },
    [BRAND]: { value: true },
  });
}

/**
 * An option failed validation when something was constructed. Every package's invalid-option
 * error has this shape (`option`, `problem`, `allowed`) and passes `instanceof InvalidOptionError`,
 * whether it extends this class or its package's base and calls markInvalidOption.
 */
export class InvalidOptionError extends BallastError implements InvalidOption {
  declare readonly option: string;
  declare readonly problem: string;
  declare readonly allowed: string | undefined;

  constructor(option: string, problem: string, options: InvalidOptionErrorOptions = {}) {
    const allowed = options.allowed === undefined ? '' : `: allowed values are ${options.allowed}`;
    super(options.code ?? 'INVALID_OPTION', options.message ?? `option "${option}" ${problem}${allowed}`);
    markInvalidOption(this, option, problem, options.allowed);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this: for them, the ordinary prototype-chain test.
    if (this !== InvalidOptionError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value instanceof BallastError && (value as unknown as Record<symbol, unknown>)[BRAND] === true;
  }
}
