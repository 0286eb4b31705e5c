import type { WatchHandle } from '@ballast/config';
import { Emitter, type Disposer, type Logger } from '@ballast/core';
import { connection } from '@ballast/rpc';
import { replicaOf } from './client-report.js';
import type { LoadGenerator } from './load-generator.js';
import { ReplicaReporter, type ReplicaReport } from './replica-reporter.js';
import { SHOP_SERVICES, type ShopClients } from './shop-clients.js';
import type { EtcdMemberStatus, ShopCluster } from './shop-cluster.js';
import { replicaFaultsSchema } from './shop-config.js';
import { SystemHistory, type Edge, type SystemSample } from './system-history.js';
import { Timeline, type TimelineEvent } from './timeline.js';

export interface SystemMonitorOptions {
  readonly cluster: ShopCluster;
  /** The gateway's own clients: the first hop, and where the replicas' report addresses are learnt. */
  readonly clients: ShopClients;
  readonly load: LoadGenerator;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** A replica's report not in by then is left out of that point (a frozen process never answers). */
  readonly reportTimeoutMs?: number;
}

export interface CallerStatus {
  readonly caller: string;
  readonly reached: boolean;
}

const FAULTS_PREFIX = 'shop/config/faults/';

/**
 * Gathers the whole system once per interval: the gateway's clients in process, every replica's
 * GET /report (an orders replica's clients are the other hops), the cluster runner's process
 * events, live-config changes and the etcd members. Feeds the charts' history and the timeline.
 */
export class SystemMonitor {
  readonly history = new SystemHistory();
  readonly timeline = new Timeline();
  readonly #gateway: ReplicaReporter;
  readonly #disposers: Disposer[] = [];
  readonly #listeners: Emitter<SystemSample>;
  #callers: CallerStatus[] = [];
  #reports: readonly ReplicaReport[] = [];
  #etcd: readonly EtcdMemberStatus[] | null = null;
  #watch: Promise<WatchHandle | undefined> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly options: SystemMonitorOptions) {
    this.#listeners = new Emitter('system sample', options.logger);
    const { catalog, inventory, orders, payments } = options.clients;
    this.#gateway = new ReplicaReporter('gateway', { catalog, inventory, orders, payments });
  }

  start(): void {
    const { cluster } = this.options;
    for (const r of cluster.replicas()) this.timeline.processState(Date.now(), r.name, r.state);
    this.#disposers.push(
      cluster.onReplicaEvent((event) => this.timeline.processState(Date.now(), event.replica, event.state)),
    );
    this.#watch = cluster.store
      .watch({ key: 'shop/config/', prefix: true }, { onEvents: (batch) => this.#configChanged(batch.events) })
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'the timeline will miss config changes: the watch failed');
        return undefined;
      });
    this.#timer = setInterval(() => void this.sample(), this.options.intervalMs);
  }

  onSample(listener: (sample: SystemSample) => void): Disposer {
    return this.#listeners.on(listener);
  }

  /** Takes one point now (and waits for one already under way). */
  sample(): Promise<void> {
    this.#sampling ??= this.#sample().finally(() => (this.#sampling = undefined));
    return this.#sampling;
  }

  edges(): readonly Edge[] {
    return this.history.edges();
  }

  /** The callers' reports of the last point: the gateway's, then each replica that answered. */
  reports(): readonly ReplicaReport[] {
    return this.#reports;
  }

  callers(): readonly CallerStatus[] {
    return this.#callers;
  }

  /** The etcd members as of the last point; null in embedded mode. */
  etcd(): readonly EtcdMemberStatus[] | null {
    return this.#etcd;
  }

  events(): readonly TimelineEvent[] {
    return this.timeline.events();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const dispose of this.#disposers.splice(0)) dispose();
    await this.#sampling;
    await (await this.#watch)?.close();
    this.#gateway.close();
  }

  async #sample(): Promise<void> {
    const { cluster, load, logger } = this.options;
    try {
      const targets = this.#reportTargets();
      const scraped = await Promise.all(
        [...targets].map(async ([caller, url]) => ({ caller, report: await this.#fetch(url) })),
      );
      const etcd = (await cluster.etcd().catch(() => undefined)) ?? null;
      if (this.#closed) return;
      this.#etcdChanged(etcd);
      const reports = [this.#gateway.report(), ...scraped.flatMap((s) => (s.report ? [s.report] : []))];
      this.#callers = [
        { caller: 'gateway', reached: true },
        ...scraped.map((s) => ({ caller: s.caller, reached: s.report !== undefined })),
      ];
      this.#reports = reports;
      for (const report of reports) this.timeline.transitions(report.transitions);
      const replicas = cluster.replicas().map((r) => r.name);
      const sample = this.history.add(Date.now(), replicas, reports, load.stats());
      this.#listeners.emit(sample);
    } catch (error) {
      logger.warn({ err: error }, 'system sample failed');
    }
  }

  /** Each replica's report address, from the registry entries the gateway's clients discovered. */
  #reportTargets(): Map<string, string> {
    const targets = new Map<string, { url: string; up: boolean }>();
    for (const service of SHOP_SERVICES) {
      for (const snap of connection(this.options.clients[service])?.detector?.states() ?? []) {
        const url = snap.endpoint.metadata?.report;
        if (!url) continue;
        const replica = replicaOf(snap.endpoint.id);
        const up = snap.state.type === 'up';
        // An old incarnation lingers until its lease expires: the one serving speaks for the replica.
        if (targets.get(replica)?.up && !up) continue;
        targets.set(replica, { url, up });
      }
    }
    return new Map([...targets].map(([replica, { url }]) => [replica, url]));
  }

  async #fetch(url: string): Promise<ReplicaReport | undefined> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.reportTimeoutMs ?? 700) });
      return response.ok ? ((await response.json()) as ReplicaReport) : undefined;
    } catch {
      return undefined;
    }
  }

  #etcdChanged(next: readonly EtcdMemberStatus[] | null): void {
    const previous = this.#etcd;
    this.#etcd = next;
    if (!previous || !next) return;
    const at = Date.now();
    const leaderOf = (members: readonly EtcdMemberStatus[]) => members.find((m) => m.leader)?.name;
    for (const member of next) {
      const was = previous.find((m) => m.name === member.name);
      if (!was || was.running === member.running) continue;
      const text = `etcd ${member.name} ${member.running ? 'answers again' : 'stopped answering'}`;
      this.timeline.add({ at, kind: member.running ? 'recovery' : 'fault', subject: member.name, text });
    }
    const [before, after] = [leaderOf(previous), leaderOf(next)];
    if (before === after) return;
    const text = after
      ? `etcd leader: ${after}${before ? ` (was ${before})` : ''}`
      : `etcd has no leader (was ${before})`;
    this.timeline.add({ at, kind: 'etcd', subject: after ?? 'etcd', text });
  }

  #configChanged(events: readonly { type: string; kv?: { key: string; value: string }; key?: string }[]): void {
    const at = Date.now();
    for (const event of events) {
      const key = event.kv?.key ?? event.key ?? '';
      if (key.startsWith(FAULTS_PREFIX)) {
        const replica = key.slice(FAULTS_PREFIX.length);
        const parsed = event.kv ? replicaFaultsSchema.safeParse(safeJson(event.kv.value)) : undefined;
        const delayMs = parsed?.success ? parsed.data.delayMs : 0;
        if (delayMs > 0) {
          this.timeline.add({
            at,
            kind: 'fault',
            subject: replica,
            text: `${replica} slowed: +${delayMs} ms per call`,
          });
        } else {
          this.timeline.add({ at, kind: 'config', subject: replica, text: `${replica} delay cleared` });
        }
        continue;
      }
      const text = event.kv ? `config ${key} = ${event.kv.value}` : `config ${key} deleted`;
      this.timeline.add({ at, kind: 'config', subject: key, text });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
