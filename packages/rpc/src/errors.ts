import { BallastError, markInvalidOption } from '@ballast/core';
import type { z } from 'zod';

/** Base of every error @ballast/rpc throws; `code` is stable across releases. */
export class RpcError extends BallastError {}

/** An option passed to serve() or connect() is invalid; names the field and what it accepts. */
export class RpcOptionsError extends RpcError {
  constructor(
    readonly fn: 'serve' | 'connect',
    readonly field: string,
    detail: string,
  ) {
    super('INVALID_OPTIONS', `${fn}(): option "${field}" is invalid: ${detail}`);
    markInvalidOption(this, field, detail, undefined);
  }

  static fromZod(fn: 'serve' | 'connect', error: z.ZodError): RpcOptionsError {
    const issue = error.issues[0]!;
    return new RpcOptionsError(fn, issue.path.join('.') || '(options)', issue.message);
  }
}
