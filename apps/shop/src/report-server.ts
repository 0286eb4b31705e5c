import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReplicaReporter } from './replica-reporter.js';

export interface ReportServer {
  /** http://host:port/report */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * GET /report: the replica's ReplicaReport as JSON, for the gateway to gather every hop in etcd
 * mode, where replicas are other processes. Loopback by default, read-only, nothing else served.
 */
export async function serveReport(
  reporter: ReplicaReporter,
  host = '127.0.0.1',
  /** The host others dial when `host` is a wildcard (0.0.0.0 in a pod: its IP). */
  advertisedHost?: string,
): Promise<ReportServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/report') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end("not found: GET /report serves this replica's report\n");
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(reporter.report()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const wildcard = address === '0.0.0.0' || address === '::';
  const dialled = wildcard ? (advertisedHost ?? '127.0.0.1') : address;
  const shown = dialled.includes(':') ? `[${dialled}]` : dialled;
  return {
    url: `http://${shown}:${port}/report`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
