import type { Disposer } from '@ballast/core';

/** One key as the store holds it. Revisions are store-wide and only grow. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** 1 when the key is created, +1 on every put; a deleted key starts again at 1. */
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
  /** The lease the key lives on, if any. */
  readonly lease?: string;
}

export interface GetResult {
  readonly kv?: KeyValue;
  /** The store revision the read saw. */
  readonly revision: number;
}

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  readonly revision: number;
}

export interface PutOptions {
  /** Attach the key to a lease: the key is deleted when the lease expires or is revoked. */
  readonly lease?: string;
}

/** A condition of a transaction, evaluated atomically against the current state. */
export type Compare =
  | { readonly key: string; readonly target: 'value'; readonly op: '==' | '!='; readonly value: string }
  | {
      readonly key: string;
      readonly target: 'version' | 'modRevision' | 'createRevision';
      readonly op: '==' | '!=' | '<' | '>';
      /** A missing key has version, modRevision and createRevision 0. */
      readonly value: number;
    };

export type TxnOp =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly lease?: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'get'; readonly key: string };

export type TxnOpResult =
  | { readonly type: 'put' }
  | { readonly type: 'delete'; readonly deleted: number }
  | { readonly type: 'get'; readonly kv?: KeyValue };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure?: readonly TxnOp[];
}

export interface TxnResult {
  readonly succeeded: boolean;
  /** The store revision after the transaction (unchanged when it only read). */
  readonly revision: number;
  readonly results: readonly TxnOpResult[];
}

export type WatchEvent =
  | { readonly type: 'put'; readonly kv: KeyValue }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number };

/** Every event of one store revision that touches the watched range. */
export interface WatchBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

export interface WatchTarget {
  readonly key: string;
  /** Watch every key that starts with `key`. */
  readonly prefix?: boolean;
  /** First revision to deliver; default: changes after the watch is created. */
  readonly fromRevision?: number;
}

export interface WatchHandlers {
  /** Batches arrive in revision order, each revision exactly once. */
  onEvents(batch: WatchBatch): void;
  /**
   * The revisions asked for were compacted away: the watch has ended. Re-read the range and
   * watch again from the read's revision + 1 (PrefixMirror does this).
   */
  onCompacted?(compactRevision: number): void;
}

export interface WatchHandle {
  close(): Promise<void>;
}

/**
 * The consistency contract Ballast builds on. EtcdStore (Raft, across processes) and MemoryStore
 * (one process) both keep it; one contract test suite runs against both.
 */
export interface KvStore {
  /** Linearizable read of one key. */
  get(key: string): Promise<GetResult>;
  /** Linearizable read of every key under a prefix, sorted by key. */
  range(prefix: string): Promise<RangeResult>;
  put(key: string, value: string, options?: PutOptions): Promise<{ readonly revision: number }>;
  delete(key: string): Promise<{ readonly revision: number; readonly deleted: number }>;
  txn(request: TxnRequest): Promise<TxnResult>;
  watch(target: WatchTarget, handlers: WatchHandlers): Promise<WatchHandle>;
  /** Grants a lease; keys put with it are deleted when it expires. Returns its id. */
  grantLease(ttlSeconds: number): Promise<string>;
  /** Renews a lease; resolves with the TTL now left in seconds, rejects LeaseNotFoundError when it is gone. */
  keepAliveOnce(lease: string): Promise<number>;
  revokeLease(lease: string): Promise<void>;
  /** Discards history up to `revision`; watches from before it get onCompacted. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export type { Disposer };
