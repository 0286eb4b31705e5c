import {
  castGrpcErrorMessage,
  EtcdAuthenticationFailedError,
  EtcdLeaseInvalidError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCUnavailableError,
  GRPCDeadlineExceededError,
} from 'etcd3';
import { BallastError, InvalidOptionError as AnyInvalidOption } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  ConfigError,
  InvalidOptionError,
  isAuthError,
  isCompactedError,
  isTransientEtcdError,
  LeaseNotFoundError,
  mapEtcdError,
} from './errors.js';

describe('etcd error mapping (on etcd3 typed errors)', () => {
  it('maps an invalid lease and a compacted revision to ours; passes the rest through', () => {
    expect(mapEtcdError(castGrpcErrorMessage('etcdserver: requested lease not found'), { lease: '7' })).toMatchObject({
      constructor: LeaseNotFoundError,
      lease: '7',
    });
    expect(castGrpcErrorMessage('etcdserver: requested lease not found')).toBeInstanceOf(EtcdLeaseInvalidError);
    const compacted = new GRPCOutOfRangeError('etcdserver: mvcc: required revision has been compacted');
    expect(mapEtcdError(compacted, { revision: 3 })).toBeInstanceOf(CompactedError);
    // A watch cancelled for compaction arrives as a plain EtcdError.
    expect(
      isCompactedError(
        castGrpcErrorMessage('Watcher canceled: etcdserver: mvcc: required revision has been compacted'),
      ),
    ).toBe(true);
    const future = new GRPCOutOfRangeError('etcdserver: mvcc: required revision is a future revision');
    expect(mapEtcdError(future)).toBe(future);
    // An error of another kind that merely mentions compaction is not one.
    expect(isCompactedError(new Error('required revision has been compacted'))).toBe(false);
  });

  it('marks refused credentials as final and network or server failures as transient', () => {
    const refused = new EtcdAuthenticationFailedError('etcdserver: authentication failed, invalid user ID or password');
    expect(isAuthError(refused)).toBe(true);
    expect(isAuthError(new GRPCInvalidArgumentError('etcdserver: user name is empty'))).toBe(true);
    expect(isAuthError(new GRPCInvalidArgumentError('etcdserver: key is not provided'))).toBe(false);
    expect(isTransientEtcdError(refused)).toBe(false);
    expect(isTransientEtcdError(new GRPCUnavailableError('14 UNAVAILABLE: connect ECONNREFUSED'))).toBe(true);
    expect(isTransientEtcdError(new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED'))).toBe(true);
    expect(isTransientEtcdError(new GRPCInvalidArgumentError('etcdserver: key is not provided'))).toBe(false);
  });

  it('makes every config error a BallastError, and the invalid-option one share the shape', () => {
    const error = new InvalidOptionError('ttlSeconds', 'must be ≥ 1');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(BallastError);
    expect(error).toBeInstanceOf(AnyInvalidOption);
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'ttlSeconds', field: 'ttlSeconds' });
    expect(new LeaseNotFoundError('1')).toMatchObject({ name: 'LeaseNotFoundError', code: 'LEASE_NOT_FOUND' });
  });
});
