import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry as rpcRegistry } from 'nice-grpc-prometheus';
import { register as defaultRegistry, type Registry } from 'prom-client';
import { metricsRegistry } from './detector-metrics.js';

export interface MetricsServerOptions {
  /**
   * Registries exposed together; default: Ballast's `metricsRegistry`, nice-grpc-prometheus's, and
   * prom-client's default registry, where breakers, live config and registry discovery count unless
   * given another (so a process that serves also exports its clients' breaker states and its
   * rejected config values).
   */
  readonly registries?: readonly Registry[];
  /** Default 127.0.0.1: metrics stay on the machine unless asked otherwise. */
  readonly host?: string;
  /** Default 0 (a free port; read it from the result). */
  readonly port?: number;
  readonly path?: string;
}

export interface MetricsServer {
  readonly address: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** An HTTP server answering GET `/metrics` in the Prometheus text format. */
export async function serveMetrics(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const registries = options.registries ?? [metricsRegistry, rpcRegistry, defaultRegistry];
  const path = options.path ?? '/metrics';
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET' || url.pathname !== path) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: GET ${path} serves metrics\n`);
      return;
    }
    exposition(registries).then(
      (text) => {
        response.writeHead(200, { 'content-type': registries[0]?.contentType ?? 'text/plain' });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    address: `${address}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The registries' families in order, each name once: the first registry that has a family
 * renders it. Ballast records `grpc_client_*` itself (RpcClientMetrics) while
 * nice-grpc-prometheus's registry always holds empty families of the same names; Prometheus
 * refuses a scrape that declares a family twice.
 */
async function exposition(registries: readonly Registry[]): Promise<string> {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      if (seen.has(metric.name)) continue;
      seen.add(metric.name);
      parts.push(await registry.getSingleMetricAsString(metric.name));
    }
  }
  return parts.join('\n') + '\n';
}
