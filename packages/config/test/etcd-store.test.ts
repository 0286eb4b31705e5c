import { EtcdStore } from '../src/etcd-store.js';
import { etcdEndpoints } from './etcd-endpoints.js';
import { kvStoreContract } from './kv-store-contract.js';

kvStoreContract('EtcdStore on a 3-member cluster', async () => {
  const store = await EtcdStore.connect({ endpoints: etcdEndpoints() });
  return { store, elapse: () => {}, waitMs: 15_000, close: () => store.close() };
});
