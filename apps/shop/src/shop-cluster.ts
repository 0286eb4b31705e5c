import { DEFAULT_REGISTRY_ROOT, LiveConfig, servicePrefix, type KvStore } from '@ballast/config';
import type { Disposer } from '@ballast/core';
import { SHOP_SERVICES, type ShopServiceName } from './shop-clients.js';
import { noFaults, replicaFaultsSchema } from './shop-config.js';
import { shopKeys } from './shop-keys.js';

/** A replica as its runner sees it; the gateway adds what its clients' detectors see. */
export type ProcessState =
  | { readonly kind: 'running'; readonly pid?: number }
  | { readonly kind: 'frozen'; readonly pid?: number }
  | { readonly kind: 'draining' }
  | { readonly kind: 'down'; readonly reason: string }
  | { readonly kind: 'restarting'; readonly inMs?: number };

export interface ReplicaStatus {
  readonly name: string;
  readonly service: ShopServiceName;
  readonly state: ProcessState;
  readonly restarts: number;
}

export interface EtcdMemberStatus {
  readonly name: string;
  readonly clientUrl: string;
  readonly running: boolean;
  readonly leader: boolean;
}

export interface ReplicaEvent {
  readonly replica: string;
  readonly state: ProcessState;
}

/** The replicas of the shop and the faults the dashboard and the chaos script can inject. */
export interface ShopCluster {
  readonly mode: 'embedded' | 'etcd';
  readonly store: KvStore;
  replicas(): ReplicaStatus[];
  onReplicaEvent(listener: (event: ReplicaEvent) => void): Disposer;
  /** Abrupt stop (SIGKILL in etcd mode); the replica is restarted. */
  kill(name: string): Promise<void>;
  /** SIGSTOP in etcd mode; in embedded mode every shop call on it hangs (its health still answers). */
  freeze(name: string): Promise<void>;
  /** Graceful stop (SIGTERM): drains, then is restarted. */
  drain(name: string): Promise<void>;
  /** Thaws a frozen replica and clears its injected delay. */
  heal(name: string): Promise<void>;
  /** Adds `delayMs` to every shop call the replica serves (live config). */
  slow(name: string, delayMs: number): Promise<void>;
  /** The etcd members and the leader; undefined in embedded mode. */
  etcd(): Promise<readonly EtcdMemberStatus[] | undefined>;
  /** SIGKILL of the etcd leader (restarted a few seconds later); resolves with its name. */
  killEtcdLeader(): Promise<string>;
  close(): Promise<void>;
}

/** Sets a replica's injected delay through live config: every replica watches its own key. */
export async function setReplicaDelay(store: KvStore, name: string, delayMs: number): Promise<void> {
  await new LiveConfig(store).update(shopKeys.replicaFaults(name), replicaFaultsSchema, (current) => ({
    ...(current ?? noFaults),
    delayMs,
  }));
}

/** The replica names of a layout: `{ orders: 2 }` → orders-1, orders-2. */
export function replicaNames(layout: Readonly<Record<ShopServiceName, number>>): [string, ShopServiceName][] {
  const names: [string, ShopServiceName][] = [];
  for (const [service, count] of Object.entries(layout) as [ShopServiceName, number][]) {
    for (let i = 1; i <= count; i++) names.push([`${service}-${i}`, service]);
  }
  return names;
}

export const DEFAULT_LAYOUT: Readonly<Record<ShopServiceName, number>> = Object.freeze({
  catalog: 2,
  inventory: 2,
  orders: 2,
  payments: 2,
});

/** Resolves once every replica's process runs and the gateway's clients see each service. */
export async function waitForShop(cluster: ShopCluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const registered = await Promise.all(
      SHOP_SERVICES.map(async (s) => (await cluster.store.range(servicePrefix(DEFAULT_REGISTRY_ROOT, s))).kvs.length),
    );
    const running = cluster.replicas().every((r) => r.state.kind === 'running');
    if (running && registered.every((n) => n > 0)) return;
    if (Date.now() > deadline) throw new Error(`the replicas did not all start within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
