import { InvalidValueError, LiveConfig, type ConfigValue, type KvStore } from '@ballast/config';
import { connection } from '@ballast/rpc';
import { replicaOf } from './client-report.js';
import { PRODUCTS } from './catalog-service.js';
import type { StockLevel } from './inventory-service.js';
import type { LoadGenerator, LoadStats } from './load-generator.js';
import type { ShopClients, ShopServiceName } from './shop-clients.js';
import type { EtcdMemberStatus, ShopCluster } from './shop-cluster.js';
import { paymentsConfigSchema, replicaFaultsSchema, type PaymentsConfig } from './shop-config.js';
import { shopKeys } from './shop-keys.js';
import type { Edge, SystemSample } from './system-history.js';
import type { CallerStatus, SystemMonitor } from './system-monitor.js';
import type { TimelineEvent } from './timeline.js';

export type ReplicaView = 'serving' | 'ejected' | 'frozen' | 'down' | 'restarting' | 'draining' | 'starting';

export interface ReplicaRow {
  readonly name: string;
  readonly service: ShopServiceName;
  readonly state: ReplicaView;
  readonly detail: string;
  readonly restarts: number;
  readonly address: string;
  /** Calls it received per second from every caller (the gateway and the orders replicas). */
  readonly callsPerSecond: number;
  /** Calls in flight to it, from every caller. */
  readonly inFlight: number;
  /** Round trip of the gateway's last health check to it, ms. */
  readonly rttMs: number | null;
  readonly delayMs: number;
}

export interface DashboardState {
  readonly mode: 'embedded' | 'etcd';
  readonly at: number;
  /** Replicas the gateway sees serving; `ready` once every one has served (the launcher's "ready"). */
  readonly startup: { readonly serving: number; readonly total: number; readonly ready: boolean };
  readonly replicas: readonly ReplicaRow[];
  /** The call graph: each caller's client → each replica it calls. */
  readonly edges: readonly Edge[];
  /** Whether each caller's report came in for the last point (a frozen orders replica's does not). */
  readonly callers: readonly CallerStatus[];
  /** The latest point of the charts (GET /api/history has the last few minutes). */
  readonly sample: SystemSample | null;
  /** The latest events, oldest first. */
  readonly timeline: readonly TimelineEvent[];
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
const TIMELINE_SHOWN = 120;

/**
 * Builds dashboard snapshots from what the gateway's own Ballast clients see (detector verdicts,
 * health RTT), what every caller reports (the system monitor: traffic per hop, breakers, retry
 * budgets, the timeline), what the cluster runner knows (process states) and the store.
 */
export class DashboardStateBuilder {
  readonly #live: LiveConfig;
  #ready = false;

  constructor(
    private readonly cluster: ShopCluster,
    private readonly clients: ShopClients,
    private readonly load: LoadGenerator,
    private readonly monitor: SystemMonitor,
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
    const endpoints = new Map<string, { state: string; detail: string; rttMs: number | null; address: string }>();
    for (const name of CLIENTS) {
      for (const snap of connection(this.clients[name])?.detector?.states() ?? []) {
        const replica = replicaOf(snap.endpoint.id);
        const current = endpoints.get(replica);
        // An old incarnation lingers until its lease expires: the newest live one wins.
        if (current?.state === 'up' && snap.state.type !== 'up') continue;
        endpoints.set(replica, {
          state: snap.state.type,
          detail: snap.state.type === 'up' ? '' : snap.state.reason,
          rttMs: snap.lastRttMs === undefined ? null : Math.round(snap.lastRttMs * 10) / 10,
          address: snap.endpoint.address,
        });
      }
    }
    const reports = this.monitor.reports();
    const breakers = reports.flatMap((r) =>
      r.clients.flatMap((c) => c.breakers.map((b) => ({ client: `${r.caller} → ${c.service}`, ...b }))),
    );
    const retryBudgets = reports.flatMap((r) =>
      r.clients.flatMap((c) => (c.budget ? [{ client: `${r.caller} → ${c.service}`, ...c.budget }] : [])),
    );
    const edges = this.monitor.edges();
    const inFlight = new Map<string, number>();
    for (const edge of edges) inFlight.set(edge.to, (inFlight.get(edge.to) ?? 0) + edge.inFlight);
    const samples = this.monitor.history.samples();
    const sample = samples.at(-1) ?? null;

    const faults = new Map(
      (await store.range('shop/config/faults/')).kvs.map((kv) => {
        const parsed = replicaFaultsSchema.safeParse(JSON.parse(kv.value));
        return [kv.key.slice('shop/config/faults/'.length), parsed.success ? parsed.data.delayMs : 0];
      }),
    );
    const replicas = this.cluster.replicas().map((r): ReplicaRow => {
      const seen = endpoints.get(r.name);
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
        callsPerSecond: sample?.calls[r.name] ?? 0,
        inFlight: inFlight.get(r.name) ?? 0,
        rttMs: seen?.rttMs ?? null,
        delayMs: faults.get(r.name) ?? 0,
      };
    });

    const stock = await Promise.all(PRODUCTS.map(({ sku }) => this.#stock(sku)));
    const serving = replicas.filter((r) => r.state === 'serving').length;
    this.#ready ||= serving === replicas.length;
    return {
      mode: this.cluster.mode,
      at: Date.now(),
      startup: { serving, total: replicas.length, ready: this.#ready },
      replicas,
      edges,
      callers: this.monitor.callers(),
      sample,
      timeline: this.monitor.events().slice(-TIMELINE_SHOWN),
      breakers,
      retryBudgets,
      etcd: this.monitor.etcd(),
      payments: this.payments.value,
      paymentsRejected: await this.#paymentsRejected(),
      stock,
      load: this.load.stats(),
    };
  }
}
