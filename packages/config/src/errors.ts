import { BallastError, markInvalidOption, type InvalidOptionFactory } from '@ballast/core';
import {
  EtcdAuthenticationFailedError,
  EtcdError,
  EtcdInvalidAuthTokenError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  isRecoverableError,
} from 'etcd3';

/** Base class of every error @ballast/config throws; `code` is stable across versions. */
export class ConfigError extends BallastError {}

/** An option or argument failed validation; names the field and what is allowed. */
export class InvalidOptionError extends ConfigError {
  constructor(
    readonly field: string,
    message: string,
    allowed?: string,
  ) {
    super(
      'INVALID_OPTION',
      allowed === undefined ? `${field}: ${message}` : `${field} ${message}: allowed values are ${allowed}`,
    );
    markInvalidOption(this, field, message, allowed);
  }
}

/** Lets core's parseOptions throw the config package's own invalid-option error. */
export const invalidConfigOption: InvalidOptionFactory = (option, problem, allowed) =>
  new InvalidOptionError(option, problem, allowed);

/** etcd rejects requests above 1.5 MiB; this is thrown before the request is sent. */
export class ValueTooLargeError extends ConfigError {
  constructor(
    readonly key: string,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      'VALUE_TOO_LARGE',
      `value for "${key}" is ${bytes} bytes, over the ${limitBytes}-byte limit of etcd requests: ` +
        'store large blobs elsewhere and keep a reference in the store',
    );
  }
}

export class LeaseNotFoundError extends ConfigError {
  constructor(readonly lease: string) {
    super('LEASE_NOT_FOUND', `lease ${lease} has expired or was revoked: grant a new lease and re-create its keys`);
  }
}

export class CompactedError extends ConfigError {
  constructor(
    readonly requested: number,
    readonly compactRevision: number,
  ) {
    super(
      'COMPACTED',
      `revision ${requested} was compacted (history kept from ${compactRevision}): re-read and watch from the new revision`,
    );
  }
}

/** The first line of the last failure (a gRPC status carries a multi-line tail). */
function lastError(reason: unknown): string {
  if (!(reason instanceof Error)) return '';
  const line = reason.message.split('\n')[0]!.trim();
  return line ? ` (last error: ${line})` : '';
}

/** The store could not be reached before the startup timeout. */
export class StoreUnavailableError extends ConfigError {
  constructor(
    readonly endpoints: readonly string[],
    readonly waitedMs: number,
    readonly reason?: unknown,
  ) {
    super(
      'STORE_UNAVAILABLE',
      `no etcd member answered at ${endpoints.join(', ')} within ${waitedMs} ms: check that etcd runs there ` +
        '(etcdctl endpoint health), that the addresses, TLS and credentials are right, or set ETCD_ENDPOINTS' +
        lastError(reason),
    );
  }
}

export class StoreClosedError extends ConfigError {
  constructor() {
    super('STORE_CLOSED', 'the store was closed: create a new one');
  }
}

/** A compare-and-swap write lost to a concurrent writer. */
export class ConflictError extends ConfigError {
  constructor(
    readonly key: string,
    readonly expectedRevision: number,
  ) {
    super(
      'CONFLICT',
      `"${key}" changed since revision ${expectedRevision}: re-read it, re-apply your edit and write again`,
    );
  }
}

/** A config value failed JSON parsing or its schema. */
export class InvalidValueError extends ConfigError {
  constructor(
    readonly key: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super('INVALID_VALUE', `config "${key}" field "${field}": ${reason}`);
  }
}

/** The operation needs leadership (or a lock) that this process does not hold, or no longer holds. */
export class NotLeaderError extends ConfigError {
  constructor(message: string) {
    super('NOT_LEADER', message);
  }
}

export class LockTimeoutError extends ConfigError {
  constructor(
    readonly lockName: string,
    readonly waitedMs: number,
  ) {
    super('LOCK_TIMEOUT', `lock "${lockName}" was not free within ${waitedMs} ms: raise timeoutMs or find the holder`);
  }
}

/** etcd refused the credentials (or their permissions): retrying will not help. */
export class StoreAuthError extends ConfigError {
  constructor(
    readonly endpoints: readonly string[],
    readonly reason: string,
  ) {
    super(
      'STORE_AUTH',
      `etcd at ${endpoints.join(', ')} refused the request: ${reason}; check the auth username and password ` +
        'and that the user has a role with access to these keys',
    );
  }
}

// etcd3 turns gRPC failures into typed classes (castGrpcError); the mapping below reads those. Two
// conditions have no class of their own and are told apart within theirs by etcd's fixed error
// text (etcd's rpctypes): compaction (OUT_OF_RANGE on a read; EtcdError when a watch is cancelled)
// and an empty user name (INVALID_ARGUMENT).
const COMPACTED = 'required revision has been compacted';
const USER_EMPTY = 'user name is empty';

/** The revision asked for was compacted: re-read, then watch from the new revision. */
export function isCompactedError(error: unknown): boolean {
  return (error instanceof GRPCOutOfRangeError || error instanceof EtcdError) && error.message.includes(COMPACTED);
}

/** The credentials were refused: retrying cannot help. */
export function isAuthError(error: unknown): boolean {
  return (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdInvalidAuthTokenError ||
    error instanceof EtcdPermissionDeniedError ||
    (error instanceof GRPCInvalidArgumentError && error.message.includes(USER_EMPTY))
  );
}

/**
 * A network or server failure that etcd3's own fault handling (and a later retry) can get past:
 * a member down or restarting, a deadline, a leader change. Everything else is an answer.
 */
export function isTransientEtcdError(error: unknown): boolean {
  return error instanceof Error && !isAuthError(error) && isRecoverableError(error);
}

/** Maps etcd3's errors to ours where the caller can act on the difference; others pass through. */
export function mapEtcdError(error: unknown, context: { lease?: string; revision?: number } = {}): unknown {
  if (error instanceof EtcdLeaseInvalidError) return new LeaseNotFoundError(context.lease ?? 'unknown');
  if (isCompactedError(error)) return new CompactedError(context.revision ?? 0, 0);
  return error;
}
