import type { BalancedChannel, EndpointTable } from '@ballast/balancer';
import type { EndpointSource } from '@ballast/core';
import type { Detector } from '@ballast/detector';
import type { EndpointBreakers, Hedging, MethodBreakers, Retry } from '@ballast/recovery';
import type { CertificateFiles } from './certificate-files.js';

/** The parts behind a connected client, for dashboards and tests. */
export interface Connection {
  readonly service: string;
  readonly source: EndpointSource;
  /** One entry per endpoint: its one connection, shared by calls and health checks. */
  readonly table: EndpointTable;
  readonly channels: readonly BalancedChannel[];
  readonly detector?: Detector;
  readonly retry?: Retry;
  readonly hedging?: Hedging;
  readonly breakers?: MethodBreakers;
  readonly endpointBreakers?: EndpointBreakers;
  /** What re-reads the TLS files given as paths (`onReload` tells of rotations), when it does. */
  readonly certificates?: CertificateFiles;
  close(): Promise<void>;
}

// Keyed by the client object itself: a client nobody holds any more takes its entry with it.
const connections = new WeakMap<object, Connection>();

/** Records the parts behind a client connect() made, for connection() and disconnect(). */
export function registerConnection(client: object, parts: Connection): void {
  connections.set(client, parts);
}

/** The parts behind a client made by connect(); undefined for any other object. */
export function connection(client: object): Connection | undefined {
  return connections.get(client);
}

/** Closes a client made by connect(): its channels, health checks and discovery watch. */
export async function disconnect(client: object): Promise<void> {
  await connections.get(client)?.close();
}
