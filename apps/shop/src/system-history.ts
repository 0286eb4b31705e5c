import type { ReplicaReport } from './replica-reporter.js';
import type { ShopServiceName } from './shop-clients.js';

/** One point of the dashboard's charts: rates over the time since the previous point. */
export interface SystemSample {
  /** Wall-clock ms. */
  readonly at: number;
  /** Calls per second each replica received, from every caller that reported. */
  readonly calls: Readonly<Record<string, number>>;
  /** The load generator's order latency over its recent orders; null while it is stopped. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Orders that ended without a final answer, per second. */
  readonly errorsPerSecond: number;
  /** Calls the replicas' adaptive limits shed, per second. */
  readonly shedPerSecond: number;
  readonly retriesPerSecond: number;
  readonly hedgesPerSecond: number;
}

/** One hop of the call graph: what `from`'s client sends to replica `to`. */
export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly service: ShopServiceName;
  readonly callsPerSecond: number;
  readonly inFlight: number;
  /** The caller's detector verdict on it: up, down or ejected. */
  readonly state: string;
}

export interface LoadFigures {
  readonly running: boolean;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * The last few minutes of the whole system, from successive reports of every caller. Reports
 * carry counters (picks, retries, hedges, shed calls); rates are their differences over the
 * reports' own times. A counter that went down belongs to a restarted process: it counts from 0.
 */
export class SystemHistory {
  readonly #samples: SystemSample[] = [];
  readonly #counters = new Map<string, { value: number; at: number }>();
  #edges: Edge[] = [];

  constructor(private readonly windowMs = 5 * 60_000) {}

  /** Adds a point from the reports that arrived and the load generator's figures. */
  add(at: number, replicas: readonly string[], reports: readonly ReplicaReport[], load: LoadFigures): SystemSample {
    const calls: Record<string, number> = Object.fromEntries(replicas.map((r) => [r, 0]));
    const edges = new Map<string, Edge>();
    let retries = 0;
    let hedges = 0;
    let shed = 0;
    for (const report of reports) {
      for (const client of report.clients) {
        for (const endpoint of client.endpoints) {
          const rate = this.#rate(`picks|${report.caller}|${endpoint.id}`, endpoint.picks, report.at);
          calls[endpoint.replica] = (calls[endpoint.replica] ?? 0) + rate;
          const key = `${report.caller}|${endpoint.replica}`;
          const current = edges.get(key);
          // An old incarnation lingers until its lease expires: the one serving speaks for the replica.
          const edge: Edge = {
            from: report.caller,
            to: endpoint.replica,
            service: client.service,
            callsPerSecond: rate + (current?.callsPerSecond ?? 0),
            inFlight: endpoint.inFlight + (current?.inFlight ?? 0),
            state: current?.state === 'up' ? 'up' : endpoint.state,
          };
          edges.set(key, edge);
        }
        if (client.budget)
          retries += this.#rate(`retries|${report.caller}|${client.service}`, client.budget.retries, report.at);
        if (client.hedges)
          hedges += this.#rate(`hedges|${report.caller}|${client.service}`, client.hedges.hedges, report.at);
      }
      if (report.served) shed += this.#rate(`shed|${report.caller}`, report.served.rejected, report.at);
    }
    const errors = this.#rate('load-errors', load.errors, at);
    this.#edges = [...edges.values()].map((edge) => ({ ...edge, callsPerSecond: round(edge.callsPerSecond) }));
    const sample: SystemSample = {
      at,
      calls: Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, round(v)])),
      p50Ms: load.running ? load.p50Ms : null,
      p99Ms: load.running ? load.p99Ms : null,
      errorsPerSecond: round(errors),
      shedPerSecond: round(shed),
      retriesPerSecond: round(retries),
      hedgesPerSecond: round(hedges),
    };
    this.#samples.push(sample);
    while (this.#samples.length > 0 && at - this.#samples[0]!.at > this.windowMs) this.#samples.shift();
    return sample;
  }

  samples(): readonly SystemSample[] {
    return [...this.#samples];
  }

  /** The call graph as of the last point. */
  edges(): readonly Edge[] {
    return this.#edges;
  }

  #rate(key: string, value: number, at: number): number {
    const previous = this.#counters.get(key);
    this.#counters.set(key, { value, at });
    if (!previous || at <= previous.at) return 0;
    const delta = value >= previous.value ? value - previous.value : value;
    return (delta * 1000) / (at - previous.at);
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
