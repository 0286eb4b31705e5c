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
export { checkValueSize, MAX_REQUEST_BYTES } from './check-value-size.js';
export {
  CompactedError,
  ConfigError,
  ConflictError,
  InvalidOptionError,
  InvalidValueError,
  LeaseNotFoundError,
  LockTimeoutError,
  NotLeaderError,
  StoreAuthError,
  StoreClosedError,
  StoreUnavailableError,
  ValueTooLargeError,
} from './errors.js';
export { LeaseKeeper } from './lease-keeper.js';
export type { LeaseKeeperOptions, LeaseState } from './lease-keeper.js';
export { Mirror } from './mirror.js';
export type { MirrorChange, MirrorOptions } from './mirror.js';
export { LiveConfig } from './live-config.js';
export { DEFAULT_MAX_CONFIG_BYTES } from './decode-config.js';
export type { LiveConfigOptions } from './live-config.js';
export { ConfigValue } from './config-value.js';
export type { ConfigChange, ConfigRejection } from './config-value.js';
export { checkValue, decodeValue } from './decode-value.js';
export type { CheckOptions, Decoded } from './decode-value.js';
export { discover, RegistrySource } from './registry-source.js';
export type { DiscoverOptions } from './registry-source.js';
export { register, Registration } from './registration.js';
export type { RegisterOptions, RegistrationState, ServiceInstance } from './registration.js';
export {
  DEFAULT_REGISTRY_ROOT,
  parseRegistryEntry,
  registryKey,
  RegistryEntrySchema,
  servicePrefix,
} from './registry-entry.js';
export type { ParsedRegistryEntry, RegistryEntry, RegistryRejectReason } from './registry-entry.js';
export { selectRegistryEntries } from './registry-selection.js';
export type { RegistryRejection, RegistrySelection } from './registry-selection.js';
export { Candidacy } from './candidacy.js';
export type { CandidacyState } from './candidacy.js';
export { Election } from './election.js';
export type { ElectionOptions, LeaderInfo, Leadership } from './election.js';
export { acquireLock } from './lock.js';
export type { LockHandle, LockOptions } from './lock.js';
export { runCli, USAGE } from './cli.js';
export type { CliIo } from './cli.js';
export { DnsSource } from './dns-source.js';
export type { DnsResolution } from './dns-source.js';
export type { DnsResolver, DnsSourceOptions } from './dns-source-options.js';
export { isDnsTarget, parseDnsTarget } from './dns-target.js';
export type { DnsTarget } from './dns-target.js';
