/** Base class of the shop's own errors; `code` is stable. */
export class ShopError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShopError';
  }
}

/** A bad command-line argument or option: the launcher prints usage and exits 2. */
export class ShopUsageError extends ShopError {
  constructor(message: string) {
    super('SHOP_USAGE', message);
    this.name = 'ShopUsageError';
  }
}

/** A control action named a replica the cluster does not have. */
export class UnknownReplicaError extends ShopError {
  constructor(name: string, known: readonly string[]) {
    super('SHOP_UNKNOWN_REPLICA', `no replica "${name}": expected one of ${known.join(', ')}`);
    this.name = 'UnknownReplicaError';
  }
}

/** An action this mode cannot do (e.g. killing the etcd leader in embedded mode). */
export class UnsupportedActionError extends ShopError {
  constructor(action: string, reason: string) {
    super('SHOP_UNSUPPORTED', `${action} is not available: ${reason}`);
    this.name = 'UnsupportedActionError';
  }
}

/** An option given to startReplica, startGateway or a cluster is invalid; names the field and what it accepts. */
export class ShopOptionsError extends ShopError {
  constructor(
    readonly owner: string,
    readonly field: string,
    reason: string,
  ) {
    super('SHOP_INVALID_OPTION', `${owner}: option "${field}" ${reason}`);
    this.name = 'ShopOptionsError';
  }
}
