import { BallastError, markInvalidOption, type InvalidOptionFactory } from '@ballast/core';

/** Base class of the shop's own errors; `code` is stable. */
export class ShopError extends BallastError {}

/** A bad command-line argument or option: the launcher prints usage and exits 2. */
export class ShopUsageError extends ShopError {
  constructor(message: string) {
    super('SHOP_USAGE', message);
  }
}

/** A control action named a replica the cluster does not have. */
export class UnknownReplicaError extends ShopError {
  constructor(name: string, known: readonly string[]) {
    super('SHOP_UNKNOWN_REPLICA', `no replica "${name}": expected one of ${known.join(', ')}`);
  }
}

/** An action this mode cannot do (e.g. killing the etcd leader in embedded mode). */
export class UnsupportedActionError extends ShopError {
  constructor(action: string, reason: string) {
    super('SHOP_UNSUPPORTED', `${action} is not available: ${reason}`);
  }
}

/** An option given to startReplica, startGateway or a cluster is invalid; names the field and what it accepts. */
export class ShopOptionsError extends ShopError {
  constructor(
    readonly owner: string,
    readonly field: string,
    reason: string,
    allowed?: string,
  ) {
    const accepts = allowed === undefined ? '' : `: allowed values are ${allowed}`;
    super('SHOP_INVALID_OPTION', `${owner}: option "${field}" ${reason}${accepts}`);
    markInvalidOption(this, field, reason, allowed);
  }

  /** Lets core's parseOptions throw this error for `owner`'s options; a problem with the whole input is "(options)". */
  static factory(owner: string): InvalidOptionFactory {
    return (option, problem, allowed) => new ShopOptionsError(owner, option || '(options)', problem, allowed);
  }
}
