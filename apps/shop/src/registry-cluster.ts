import { DEFAULT_REGISTRY_ROOT, Mirror, parseRegistryEntry, type KvStore } from '@ballast/config';
import { Emitter, type Disposer, type Logger } from '@ballast/core';
import { UnsupportedActionError } from './errors.js';
import { etcdStatus } from './process-cluster.js';
import { SHOP_SERVICES, type ShopServiceName } from './shop-clients.js';
import {
  setReplicaDelay,
  type EtcdMemberStatus,
  type ReplicaEvent,
  type ReplicaStatus,
  type ShopCluster,
} from './shop-cluster.js';

/**
 * The replicas a standalone gateway can see when something else runs them (Kubernetes): whatever
 * is registered in the store. Process faults belong to the orchestrator there, so kill, freeze and
 * drain are refused; slow and heal work through live config.
 */
export async function watchRegistryCluster(
  store: KvStore,
  options: { etcdEndpoints?: readonly string[]; logger?: Logger } = {},
): Promise<ShopCluster> {
  const mirror = await Mirror.start(store, DEFAULT_REGISTRY_ROOT, { prefix: true, logger: options.logger });
  const listeners = new Emitter<ReplicaEvent>('replica state', options.logger);
  const stopMirror = mirror.onChange(() => {
    for (const r of replicas()) listeners.emit({ replica: r.name, state: r.state });
  });
  const replicas = (): ReplicaStatus[] => {
    const seen = new Map<string, ReplicaStatus>();
    for (const kv of mirror.kvs.values()) {
      const service = kv.key.slice(DEFAULT_REGISTRY_ROOT.length).split('/')[0] as ShopServiceName;
      const parsed = parseRegistryEntry(kv.key, kv.value, `${DEFAULT_REGISTRY_ROOT}${service}/`);
      if (!parsed.ok || !SHOP_SERVICES.includes(service)) continue;
      const name = parsed.endpoint.metadata?.replica ?? parsed.endpoint.id;
      seen.set(name, { name, service, state: { kind: 'running' }, restarts: 0 });
    }
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  };
  const refuse = (action: string) => () =>
    Promise.reject(new UnsupportedActionError(action, 'the orchestrator runs these replicas (kubectl delete pod …)'));
  return {
    mode: 'etcd',
    store,
    replicas,
    onReplicaEvent(listener): Disposer {
      return listeners.on(listener);
    },
    kill: refuse('kill'),
    freeze: refuse('freeze'),
    drain: refuse('drain'),
    heal: (name) => setReplicaDelay(store, name, 0),
    slow: (name, delayMs) => setReplicaDelay(store, name, delayMs),
    etcd: async (): Promise<readonly EtcdMemberStatus[] | undefined> =>
      options.etcdEndpoints ? etcdStatus({ endpoints: options.etcdEndpoints }) : undefined,
    killEtcdLeader: refuse('killing the etcd leader'),
    async close() {
      stopMirror();
      await mirror.close();
    },
  };
}
