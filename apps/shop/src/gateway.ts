import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { LiveConfig } from '@ballast/config';
import { createLogger, parseOptions, type Logger } from '@ballast/core';
import { z } from 'zod';
import { DashboardStateBuilder } from './dashboard-state.js';
import { gatewayRoutes } from './gateway-routes.js';
import { ShopOptionsError } from './errors.js';
import { EventStreams } from './event-streams.js';
import { HttpError, sendError } from './http-util.js';
import { LoadGenerator } from './load-generator.js';
import { defaultAllowedHosts, guardRequest, isLoopbackHost } from './request-guard.js';
import { connectShop, type ShopClients } from './shop-clients.js';
import type { ShopCluster } from './shop-cluster.js';
import { defaultPaymentsConfig, paymentsConfigSchema } from './shop-config.js';
import { shopKeys } from './shop-keys.js';
import { SystemMonitor } from './system-monitor.js';

export interface GatewayOptions {
  cluster: ShopCluster;
  host?: string;
  port?: number;
  /** How often the dashboard's event stream sends a snapshot, ms. */
  snapshotIntervalMs?: number;
  /** How often the system is gathered (every replica's report) for the charts and the timeline, ms. */
  sampleIntervalMs?: number;
  /**
   * Host names (no port) the gateway answers to; default the loopback names and the bound
   * address. Any other Host header gets 421, so a DNS name rebound to this address is refused.
   */
  allowedHosts?: string[];
  /**
   * Mutating requests must send `Authorization: Bearer <token>`. Required when `host` is not a
   * loopback address: anyone who can reach the port could otherwise kill replicas.
   */
  token?: string;
  /** Unread bytes an event-stream (SSE) client may have pending before it is dropped. */
  maxEventBufferBytes?: number;
  logger?: Logger;
}

export interface Gateway {
  /** http://host:port/ — the dashboard; the API is under /api. */
  readonly url: string;
  readonly clients: ShopClients;
  readonly load: LoadGenerator;
  readonly monitor: SystemMonitor;
  /**
   * Resolves once every replica serves (as the gateway's clients see it): the shop answers then.
   * Calls `progress` with each change of the count; rejects after `timeoutMs`.
   */
  whenServing(timeoutMs: number, progress?: (serving: number, total: number) => void): Promise<void>;
  close(): Promise<void>;
}

const gatewayOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  snapshotIntervalMs: z.number().int().min(1).max(60_000).default(1000),
  sampleIntervalMs: z.number().int().min(100).max(600_000).default(1000),
  allowedHosts: z
    .array(
      z
        .string()
        .min(1)
        .regex(/^[^\s:/]+$|^[0-9a-fA-F:.]+$/, 'a host name without port'),
    )
    .optional(),
  token: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)').optional(),
  maxEventBufferBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(256 * 1024),
});

const PUBLIC = new URL('../public/', import.meta.url);
/** The chart library comes from node_modules: the page works offline, with no CDN. */
const UPLOT = new URL('./', pathToFileURL(createRequire(import.meta.url).resolve('uplot')));
const STATIC: Record<string, URL> = {
  '/': new URL('index.html', PUBLIC),
  '/dashboard.js': new URL('dashboard.js', PUBLIC),
  '/dashboard-charts.js': new URL('dashboard-charts.js', PUBLIC),
  '/dashboard-graph.js': new URL('dashboard-graph.js', PUBLIC),
  '/dashboard.css': new URL('dashboard.css', PUBLIC),
  '/vendor/uPlot.iife.min.js': new URL('uPlot.iife.min.js', UPLOT),
  '/vendor/uPlot.min.css': new URL('uPlot.min.css', UPLOT),
};
const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

/**
 * The shop's HTTP front door: a JSON API over the services (through connect() clients), the live
 * dashboard with its event stream, and the chaos controls. Every handler's failure is one JSON
 * answer; nothing a request does can stop the process.
 */
export async function startGateway(input: GatewayOptions): Promise<Gateway> {
  const options = {
    ...input,
    ...parseOptions(gatewayOptionsSchema, input, '', { error: ShopOptionsError.factory('startGateway') }),
  };
  requireTokenBeyondLoopback(options.host, options.token);
  const { cluster } = options;
  const logger = options.logger ?? createLogger('shop.gateway');
  const policy = { allowedHosts: options.allowedHosts ?? defaultAllowedHosts(options.host), token: options.token };
  const clients = connectShop(cluster.store, { logger });
  const load = new LoadGenerator(clients.orders, Math.random, logger);
  const live = new LiveConfig(cluster.store, { logger });
  // Followed like the payments replicas follow it, so the panel shows the last valid value: the
  // one in force, even while the store holds a value the replicas rejected.
  const payments = await live.watch(shopKeys.paymentsConfig, paymentsConfigSchema, { default: defaultPaymentsConfig });
  const monitor = new SystemMonitor({ cluster, clients, load, intervalMs: options.sampleIntervalMs, logger });
  const dashboard = new DashboardStateBuilder(cluster, clients, load, monitor, payments);
  const streams = new EventStreams({ maxBufferedBytes: options.maxEventBufferBytes, logger });

  const routes = gatewayRoutes({ cluster, clients, load, live, dashboard, monitor, streams, logger });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!(error instanceof HttpError)) logger.warn({ err: error, url: req.url }, 'request failed');
      sendError(res, error);
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url);
    guardRequest(req, path, policy);
    const file = req.method === 'GET' ? STATIC[path] : undefined;
    if (file) {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': `${TYPES[file.pathname.split('.').pop()!]}; charset=utf-8` });
      return void res.end(body);
    }
    const matches = routes.filter(([, pattern]) => pattern.test(path));
    if (matches.length === 0) throw new HttpError(404, `no route ${path}: see GET /api/products, POST /api/orders`);
    const route = matches.find(([method]) => method === req.method);
    if (!route)
      throw new HttpError(405, `${req.method} is not allowed on ${path}: use ${matches.map(([m]) => m).join(', ')}`);
    await route[2](req, res, route[1].exec(path)!.slice(1));
  };

  let building = false;
  const push = () => {
    if (streams.size === 0 || building) return;
    building = true;
    dashboard
      .build()
      .then((state) => {
        streams.send(JSON.stringify(state));
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'dashboard snapshot failed'))
      .finally(() => (building = false));
  };
  const ticker = setInterval(push, options.snapshotIntervalMs);
  // Each point of the system's history is pushed as it is taken.
  const stopSamples = monitor.onSample(push);
  // A replica going down or coming back shows at once, not at the next tick.
  const stopEvents = cluster.onReplicaEvent(push);
  monitor.start();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (error: unknown) => {
    clearInterval(ticker);
    stopSamples();
    stopEvents();
    await monitor.close();
    await payments.close();
    await clients.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${address.port}/`;
  logger.info({ url }, 'gateway listening');

  return {
    url,
    clients,
    load,
    monitor,
    whenServing: (timeoutMs, progress) => whenServing(dashboard, monitor, timeoutMs, progress),
    async close() {
      clearInterval(ticker);
      stopSamples();
      stopEvents();
      await monitor.close();
      await load.stop();
      streams.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await payments.close();
      await clients.close();
    },
  };
}

async function whenServing(
  dashboard: DashboardStateBuilder,
  monitor: SystemMonitor,
  timeoutMs: number,
  progress?: (serving: number, total: number) => void,
): Promise<void> {
  let last = -1;
  const check = async () => {
    const { startup } = await dashboard.build();
    if (startup.serving !== last) progress?.(startup.serving, startup.total);
    last = startup.serving;
    return startup.serving === startup.total;
  };
  if (await check()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`only ${last} replicas were serving after ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = monitor.onSample(() => {
      check().then(
        (done) => {
          if (!done) return;
          clearTimeout(timer);
          stop();
          resolve();
        },
        () => undefined,
      );
    });
  });
}

/**
 * Throws ShopOptionsError when `host` is reachable from other machines and no token is set:
 * anyone who reaches the port could otherwise kill replicas and change config.
 */
export function requireTokenBeyondLoopback(host: string, token: string | undefined): void {
  if (isLoopbackHost(host) || token !== undefined) return;
  throw new ShopOptionsError(
    'startGateway',
    'token',
    `is required when the gateway listens on ${host}, beyond loopback: anyone who reaches the port ` +
      'could drive its controls. Set BALLAST_GATEWAY_TOKEN (e.g. openssl rand -hex 32), or listen on 127.0.0.1',
  );
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://gateway').pathname;
  } catch {
    throw new HttpError(400, `the request target "${url}" is not a valid path`, { code: 'BAD_PATH' });
  }
}
