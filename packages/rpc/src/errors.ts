import { BallastError, markInvalidOption, type InvalidOptionFactory } from '@ballast/core';

/** Base of every error @ballast/rpc throws; `code` is stable across releases. */
export class RpcError extends BallastError {}

/** An option passed to serve() or connect() is invalid; names the field and what it accepts. */
export class RpcOptionsError extends RpcError {
  constructor(
    readonly fn: 'serve' | 'connect',
    readonly field: string,
    detail: string,
    allowed?: string,
  ) {
    super(
      'INVALID_OPTIONS',
      allowed === undefined
        ? `${fn}(): option "${field}" is invalid: ${detail}`
        : `${fn}(): option "${field}" ${detail}: allowed values are ${allowed}`,
    );
    markInvalidOption(this, field, detail, allowed);
  }

  /** Lets core's parseOptions throw this error for `fn`'s options. */
  static factory(fn: 'serve' | 'connect'): InvalidOptionFactory {
    return (option, problem, allowed) => new RpcOptionsError(fn, option, problem, allowed);
  }
}
