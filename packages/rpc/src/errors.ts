import type { z } from 'zod';

/** Base of every error @ballast/rpc throws. */
export class RpcError extends Error {
  readonly code: string = 'RPC_ERROR';
}

/** An option passed to serve() or connect() is invalid; names the field and what it accepts. */
export class RpcOptionsError extends RpcError {
  override readonly code = 'INVALID_OPTIONS';
  constructor(
    readonly fn: 'serve' | 'connect',
    readonly field: string,
    detail: string,
  ) {
    super(`${fn}(): option "${field}" is invalid: ${detail}`);
    this.name = 'RpcOptionsError';
  }

  static fromZod(fn: 'serve' | 'connect', error: z.ZodError): RpcOptionsError {
    const issue = error.issues[0]!;
    return new RpcOptionsError(fn, issue.path.join('.') || '(options)', issue.message);
  }
}
