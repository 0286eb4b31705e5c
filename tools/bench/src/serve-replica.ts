import { spawnReplica, type EchoReplica } from '@ballast/testing';
import { fileURLToPath } from 'node:url';
import { childAnswer } from './child-answer.js';

const main = fileURLToPath(new URL('../scenarios/fixtures/serve-replica.ts', import.meta.url));

/** Options of a replica run through serve() (see scenarios/fixtures/serve-replica.ts). */
export interface ServeReplicaOptions {
  /** `work`: capacity bound by `workers` slots of `workMs`; `echo`: the plain EchoService. */
  readonly mode?: 'echo' | 'work';
  readonly loadShedding?: boolean;
  readonly workers?: number;
  readonly workMs?: number;
  /** Serve serve()'s /metrics endpoint (default off); find it with `replicaMetricsUrl()`. */
  readonly metrics?: boolean;
  /** serve()'s ORCA load reports (default on, as serve()'s own default). */
  readonly loadReports?: boolean;
}

/** Starts an EchoService replica served by serve() (no registry) as a child process. */
export function spawnServeReplica(name: string, options: ServeReplicaOptions = {}): Promise<EchoReplica> {
  const args = [
    name,
    options.mode ?? 'echo',
    options.loadShedding === false ? 'noshed' : 'shed',
    String(options.workers ?? 4),
    String(options.workMs ?? 20),
    options.metrics ? 'metrics' : 'nometrics',
    options.loadReports === false ? 'noorca' : 'orca',
  ];
  return spawnReplica(main, args, { replica: name, startTimeoutMs: 30_000 });
}

/** The /metrics URL of a replica started with `metrics: true`, asked over its stdin protocol. */
export async function replicaMetricsUrl(replica: EchoReplica): Promise<string> {
  const url = await childAnswer<string | null>(replica, { metricsUrl: true }, 'metricsUrl');
  if (typeof url !== 'string')
    throw new Error(`replica ${replica.replica} serves no /metrics (start it with metrics: true)`);
  return url;
}

/** A server's call counters for one method, from grpc_server_started_total / grpc_server_handled_total. */
export interface ServerCallCounts {
  /** Calls (attempts) that reached the server. */
  readonly started: number;
  /** Calls that ended, by status name (OK, RESOURCE_EXHAUSTED…). */
  readonly handled: Readonly<Record<string, number>>;
}

/** Scrapes a serve() /metrics endpoint for the counters of `method` (e.g. "Echo"); loopback, 5 s timeout. */
export async function scrapeServerCalls(metricsUrl: string, method: string): Promise<ServerCallCounts> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  const text = await response.text();
  let started = 0;
  const handled: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(grpc_server_started_total|grpc_server_handled_total)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (labels.grpc_method !== method) continue;
    const value = Number(match[3]);
    if (match[1] === 'grpc_server_started_total') started += value;
    else handled[labels.grpc_code ?? '?'] = (handled[labels.grpc_code ?? '?'] ?? 0) + value;
  }
  return { started, handled };
}
