import { BallastError } from './ballast-error.js';

export interface InvalidOptionErrorOptions {
  /** What the option accepts, when it can be said in a few words: "an integer in [1, 1000]". */
  readonly allowed?: string;
  /** A package's own code; "INVALID_OPTION" by default. */
  readonly code?: string;
  /** A package's own wording; by default `option "<option>" <problem>: allowed values are <allowed>`. */
  readonly message?: string;
}

/**
 * An option failed validation when something was constructed. Every package's invalid-option
 * error has this shape: `option` is the dotted path of the offending field
 * ("retry.backoff.baseMs"), `problem` what is wrong with the value given, `allowed` what it
 * accepts. Packages subclass it to keep their own code and wording.
 */
export class InvalidOptionError extends BallastError {
  readonly option: string;
  readonly problem: string;
  readonly allowed: string | undefined;

  constructor(option: string, problem: string, options: InvalidOptionErrorOptions = {}) {
    const allowed = options.allowed === undefined ? '' : `: allowed values are ${options.allowed}`;
    super(options.code ?? 'INVALID_OPTION', options.message ?? `option "${option}" ${problem}${allowed}`);
    this.option = option;
    this.problem = problem;
    this.allowed = options.allowed;
  }
}
