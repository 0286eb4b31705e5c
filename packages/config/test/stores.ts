import { MemoryStore } from '../src/memory-store.js';
import { EtcdStore } from '../src/etcd-store.js';
import type { KvStore } from '../src/kv-store.js';
import { etcdEndpoints } from './etcd-endpoints.js';

/** The two stores every store-agnostic feature is tested on. */
export const STORES: readonly { name: string; open(): Promise<KvStore> }[] = [
  { name: 'MemoryStore', open: async () => new MemoryStore() },
  { name: 'EtcdStore', open: () => EtcdStore.connect({ endpoints: etcdEndpoints() }) },
];
