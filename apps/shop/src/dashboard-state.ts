import { InvalidValueError, LiveConfig, type ConfigValue, type KvStore } from '@ballast/config';
import { connection } from '@ballast/rpc';
import { PRODUCTS } from './catalog-service.js';
import type { StockLevel } from './inventory-service.js';
import type { LoadGenerator, LoadStats } from './load-generator.js';
import type { ShopClients, ShopServiceName } from './shop-clients.js';
import type { EtcdMemberStatus, ShopCluster } from './shop-cluster.js';
import { paymentsConfigSchema, replicaFaultsSchema, type PaymentsConfig } from './shop-config.js';
import { shopKeys } from './shop-keys.js';

export type ReplicaView = 'serving' | 'ejected' | 'frozen' | 'down' | 'restarting' | 'draining' | 'starting';

export interface ReplicaRow {
  readonly name: string;
  readonly service: ShopServiceName;
  readonly state: ReplicaView;
  readonly detail: string;
  readonly restarts: number;
  readonly address: string;
  readonly picksPerSecond: number;
  readonly inFlight: number;
  /** Round trip of the gateway's last health check to it, ms. */
  readonly rttMs: number | null;
  readonly delayMs: number;
}

export interface DashboardState {
  readonly mode: 'embedded' | 'etcd';
  readonly at: number;
  readonly replicas: readonly ReplicaRow[];
  readonly breakers: readonly { client: string; name: string; state: string }[];
  readonly retryBudgets: readonly { client: string; firstAttempts: number; retries: number; refused: number }[];
  readonly etcd: readonly EtcdMemberStatus[] | null;
  /** The payments config in force: the last valid value in the store, or the defaults. */
  readonly payments: PaymentsConfig;
  /** The store's current value when it was rejected (the one in force is then an older one). */
  readonly paymentsRejected: { readonly field: string; readonly reason: string } | null;
  readonly stock: readonly ({ sku: string } & StockLevel)[];
  readonly load: LoadStats;
}

const CLIENTS: readonly ShopServiceName[] = ['catalog', 'inventory', 'orders', 'payments'];

/**
 * Builds dashboard snapshots from what the gateway's own Ballast clients know (detector verdicts,
 * picks, breakers, retry budgets), what the cluster runner knows (process states) and the store.
 */
export class DashboardStateBuilder {
  /** Recent pick counts per endpoint: rates are measured over ~1–2 s, whatever triggered the snapshot. */
  readonly #history = new Map<string, { picks: number; at: number }[]>();
  readonly #live: LiveConfig;

  constructor(
    private readonly cluster: ShopCluster,
    private readonly clients: ShopClients,
    private readonly load: LoadGenerator,
    /** Followed as the replicas follow it: its value is the one in force. */
    private readonly payments: ConfigValue<PaymentsConfig>,
  ) {
    this.#live = new LiveConfig(cluster.store);
  }

  /** Why the stored payments value is not the one in force, if it was rejected. */
  async #paymentsRejected(): Promise<DashboardState['paymentsRejected']> {
    try {
      await this.#live.get(shopKeys.paymentsConfig, paymentsConfigSchema);
      return null;
    } catch (error) {
      if (error instanceof InvalidValueError) return { field: error.field, reason: error.reason };
      return null;
    }
  }

  #rate(id: string, picks: number, now: number): number {
    const samples = this.#history.get(id) ?? [];
    samples.push({ picks, at: now });
    while (samples.length > 2 && now - samples[1]!.at >= 1000) samples.shift();
    this.#history.set(id, samples);
    const base = samples[0]!;
    return now - base.at < 100 ? 0 : ((picks - base.picks) * 1000) / (now - base.at);
  }

  /**
   * Straight from the store: reading it through InventoryService would make the dashboard part of
   * the experiment (its calls would trip breakers and spend retry budget while a replica is frozen).
   */
  async #stock(sku: string): Promise<{ sku: string } & StockLevel> {
    const { kv } = await this.cluster.store.get(shopKeys.stock(sku));
    const level: StockLevel = kv ? JSON.parse(kv.value) : { available: 0, reserved: 0 };
    return { sku, ...level };
  }

  async build(): Promise<DashboardState> {
    const store: KvStore = this.cluster.store;
    const now = performance.now();
    const endpoints = new Map<string, { state: string; detail: string; rttMs: number | null; address: string }>();
    const picks = new Map<string, { picksPerSecond: number; inFlight: number }>();
    const breakers: { client: string; name: string; state: string }[] = [];
    const retryBudgets: { client: string; firstAttempts: number; retries: number; refused: number }[] = [];
    for (const name of CLIENTS) {
      const conn = connection(this.clients[name]);
      if (!conn) continue;
      for (const snap of conn.detector?.states() ?? []) {
        const replica = replicaOf(snap.endpoint.id);
        const current = endpoints.get(replica);
        // An old incarnation lingers until its lease expires: the newest live one wins.
        if (current?.state === 'up' && snap.state.kind !== 'up') continue;
        endpoints.set(replica, {
          state: snap.state.kind,
          detail: snap.state.kind === 'up' ? '' : snap.state.reason,
          rttMs: snap.lastRttMs === undefined ? null : Math.round(snap.lastRttMs * 10) / 10,
          address: snap.endpoint.address,
        });
      }
      for (const channel of conn.channels) {
        for (const stat of channel.stats()) {
          const rate = this.#rate(stat.id, stat.picks, now);
          const replica = replicaOf(stat.id);
          const sum = picks.get(replica) ?? { picksPerSecond: 0, inFlight: 0 };
          picks.set(replica, { picksPerSecond: sum.picksPerSecond + rate, inFlight: sum.inFlight + stat.inFlight });
        }
      }
      for (const breaker of conn.breakers?.breakers() ?? []) {
        breakers.push({ client: name, name: breaker.name, state: breaker.state.kind });
      }
      const budget = conn.retry?.budget?.stats();
      if (budget) retryBudgets.push({ client: name, ...pick(budget, 'firstAttempts', 'retries', 'refused') });
    }

    const faults = new Map(
      (await store.range('shop/config/faults/')).kvs.map((kv) => {
        const parsed = replicaFaultsSchema.safeParse(JSON.parse(kv.value));
        return [kv.key.slice('shop/config/faults/'.length), parsed.success ? parsed.data.delayMs : 0];
      }),
    );
    const replicas = this.cluster.replicas().map((r): ReplicaRow => {
      const seen = endpoints.get(r.name);
      const rate = picks.get(r.name);
      let state: ReplicaView;
      let detail = '';
      if (r.state.kind === 'running') {
        if (!seen) state = 'starting';
        else if (seen.state === 'up') state = 'serving';
        else [state, detail] = [seen.state === 'ejected' ? 'ejected' : 'down', seen.detail];
      } else if (r.state.kind === 'down') [state, detail] = ['down', r.state.reason];
      else state = r.state.kind;
      return {
        name: r.name,
        service: r.service,
        state,
        detail,
        restarts: r.restarts,
        address: seen?.address ?? '',
        picksPerSecond: Math.round((rate?.picksPerSecond ?? 0) * 10) / 10,
        inFlight: rate?.inFlight ?? 0,
        rttMs: seen?.rttMs ?? null,
        delayMs: faults.get(r.name) ?? 0,
      };
    });

    const stock = await Promise.all(PRODUCTS.map(({ sku }) => this.#stock(sku)));
    return {
      mode: this.cluster.mode,
      at: Date.now(),
      replicas,
      breakers,
      retryBudgets,
      etcd: (await this.cluster.etcd().catch(() => undefined)) ?? null,
      payments: this.payments.value,
      paymentsRejected: await this.#paymentsRejected(),
      stock,
      load: this.load.stats(),
    };
  }
}

/** Endpoint ids are `<replica>.<incarnation>` (see startReplica). */
export function replicaOf(endpointId: string): string {
  const dot = endpointId.indexOf('.');
  return dot < 0 ? endpointId : endpointId.slice(0, dot);
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
