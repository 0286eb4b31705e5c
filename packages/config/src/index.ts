export type {
  Compare,
  GetResult,
  KeyValue,
  KvStore,
  PutOptions,
  RangeResult,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
  WatchBatch,
  WatchEvent,
  WatchHandle,
  WatchHandlers,
  WatchTarget,
} from './kv-store.js';
export { MemoryStore } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { EtcdStore } from './etcd-store.js';
export type { EtcdStoreOptions } from './etcd-store.js';
export { checkValueSize, MAX_REQUEST_BYTES } from './value-size.js';
export {
  CompactedError,
  ConfigError,
  ConflictError,
  InvalidOptionError,
  InvalidValueError,
  LeaseNotFoundError,
  LockTimeoutError,
  NotLeaderError,
  StoreClosedError,
  StoreUnavailableError,
  ValueTooLargeError,
} from './errors.js';
