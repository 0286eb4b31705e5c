import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry as rpcRegistry } from 'nice-grpc-prometheus';
import type { Registry } from 'prom-client';
import { metricsRegistry } from './metrics.js';

export interface MetricsServerOptions {
  /** Registries exposed together; default: Ballast's and nice-grpc-prometheus's. */
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
  const registries = options.registries ?? [metricsRegistry, rpcRegistry];
  const path = options.path ?? '/metrics';
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET' || url.pathname !== path) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: GET ${path} serves metrics\n`);
      return;
    }
    Promise.all(registries.map((r) => r.metrics())).then(
      (texts) => {
        response.writeHead(200, { 'content-type': registries[0]?.contentType ?? 'text/plain' });
        response.end(texts.filter((t) => t.trim().length > 0).join('\n'));
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
