/** What a Ballast error may carry besides its code and message. */
export interface BallastErrorOptions {
  /** The gRPC status (numeric, as nice-grpc's `Status`) a server answers with, where one applies. */
  readonly status?: number;
  readonly cause?: unknown;
}

/**
 * Base of every error a Ballast package throws itself. `code` is stable across releases (switch
 * on it, not on the message); `status` is the gRPC status where the error maps to one; the
 * message says what went wrong and what to do about it. Each package has its own subclass
 * (`ConfigError`, `BalancerError`…), so `instanceof` can ask for all of Ballast or one package.
 */
export class BallastError extends Error {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, message: string, options: BallastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.name = new.target.name;
  }
}
