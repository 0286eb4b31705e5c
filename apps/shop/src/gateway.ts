import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveConfig } from '@ballast/config';
import { createLogger, type Logger } from '@ballast/core';
import { z } from 'zod';
import { DashboardStateBuilder } from './dashboard-state.js';
import { HttpError, readJson, sendError, sendJson } from './http-util.js';
import { LoadGenerator } from './load-generator.js';
import { parseOptions } from './parse-options.js';
import { connectShop, type ShopClients } from './shop-clients.js';
import type { ShopCluster } from './shop-cluster.js';
import { paymentsConfigSchema } from './shop-config.js';
import { shopKeys } from './shop-keys.js';
import { orderStateOf } from './stored-order.js';
import type { Order } from '@ballast/stubs/shop/v1/orders';

export interface GatewayOptions {
  cluster: ShopCluster;
  host?: string;
  port?: number;
  /** How often the dashboard's event stream sends a snapshot, ms. */
  snapshotIntervalMs?: number;
  logger?: Logger;
}

export interface Gateway {
  /** http://host:port/ — the dashboard; the API is under /api. */
  readonly url: string;
  readonly clients: ShopClients;
  readonly load: LoadGenerator;
  close(): Promise<void>;
}

const orderBodySchema = z.object({
  customerId: z.string().min(1, 'customerId is required').max(128),
  lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().min(1).max(100) })).min(1),
});
const slowBodySchema = z.object({ delayMs: z.number().int().min(0).max(30_000).default(500) });
const loadBodySchema = z.object({ concurrency: z.number().int().min(1).max(64).default(4) });

const gatewayOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  snapshotIntervalMs: z.number().int().min(50).max(60_000).default(1000),
});

const PUBLIC = new URL('../public/', import.meta.url);
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/dashboard.js': 'dashboard.js',
  '/dashboard.css': 'dashboard.css',
};
const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

/**
 * The shop's HTTP front door: a JSON API over the services (through connect() clients), the live
 * dashboard with its event stream, and the chaos controls. Every handler's failure is one JSON
 * answer; nothing a request does can stop the process.
 */
export async function startGateway(input: GatewayOptions): Promise<Gateway> {
  const options = { ...input, ...parseOptions('startGateway', gatewayOptionsSchema, input) };
  const { cluster } = options;
  const logger = options.logger ?? createLogger('shop.gateway');
  const clients = connectShop(cluster.store, { logger });
  const load = new LoadGenerator(clients.orders, Math.random, logger);
  const dashboard = new DashboardStateBuilder(cluster, clients, load);
  const live = new LiveConfig(cluster.store, { logger });
  const streams = new Set<ServerResponse>();

  const routes: [string, RegExp, (req: IncomingMessage, res: ServerResponse, m: string[]) => Promise<void>][] = [
    [
      'GET',
      /^\/api\/products$/,
      async (req, res) => {
        const category = new URL(req.url!, 'http://x').searchParams.get('category') ?? '';
        const products = [];
        for await (const { product } of clients.catalog.listProducts({ category })) products.push(product);
        sendJson(res, 200, { products });
      },
    ],
    [
      'POST',
      /^\/api\/orders$/,
      async (req, res) => {
        const key = req.headers['idempotency-key'];
        if (typeof key !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(key)) {
          throw new HttpError(400, 'the Idempotency-Key header is required: 1–128 of letters, digits, . _ : -');
        }
        const body = parse(orderBodySchema, await readJson(req));
        const { order } = await clients.orders.placeOrder({ idempotencyKey: key, ...body });
        const json = orderJson(order!);
        sendJson(
          res,
          json.status === 'confirmed' ? 201 : 409,
          json.status === 'confirmed' ? json : { error: json.failureReason, order: json },
        );
      },
    ],
    [
      'GET',
      /^\/api\/orders\/([^/]+)$/,
      async (_req, res, [id]) => {
        const { order } = await clients.orders.getOrder({ id: decodeURIComponent(id!) });
        sendJson(res, 200, orderJson(order!));
      },
    ],
    [
      'GET',
      /^\/api\/stock\/([^/]+)$/,
      async (_req, res, [sku]) => {
        const stock = await clients.inventory.getStock({ sku: decodeURIComponent(sku!) });
        sendJson(res, 200, stock);
      },
    ],
    ['GET', /^\/healthz$/, async (_req, res) => sendJson(res, 200, { ok: true })],
    ['GET', /^\/api\/state$/, async (_req, res) => sendJson(res, 200, await dashboard.build())],
    [
      'GET',
      /^\/api\/events$/,
      async (req, res) => {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        streams.add(res);
        req.on('close', () => streams.delete(res));
        res.write(`data: ${JSON.stringify(await dashboard.build())}\n\n`);
      },
    ],
    [
      'POST',
      /^\/api\/replicas\/([^/]+)\/(kill|freeze|drain|heal|slow)$/,
      async (req, res, [name, action]) => {
        const replica = decodeURIComponent(name!);
        if (action === 'slow') await cluster.slow(replica, parse(slowBodySchema, await readJson(req)).delayMs);
        else await cluster[action as 'kill' | 'freeze' | 'drain' | 'heal'](replica);
        logger.info({ replica, action }, `dashboard: ${action} ${replica}`);
        sendJson(res, 202, { replica, action });
      },
    ],
    [
      'POST',
      /^\/api\/etcd\/kill-leader$/,
      async (_req, res) => {
        sendJson(res, 202, { killed: await cluster.killEtcdLeader() });
      },
    ],
    [
      'POST',
      /^\/api\/load\/start$/,
      async (req, res) => {
        load.start(parse(loadBodySchema, await readJson(req)).concurrency);
        sendJson(res, 202, load.stats());
      },
    ],
    [
      'POST',
      /^\/api\/load\/stop$/,
      async (_req, res) => {
        await load.stop();
        sendJson(res, 202, load.stats());
      },
    ],
    [
      'PUT',
      /^\/api\/config\/payments$/,
      async (req, res) => {
        const value = parse(paymentsConfigSchema, await readJson(req));
        await live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => value);
        sendJson(res, 200, value);
      },
    ],
  ];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!(error instanceof HttpError)) logger.warn({ err: error, url: req.url }, 'request failed');
      sendError(res, error);
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = req.method === 'GET' ? STATIC[path] : undefined;
    if (file) {
      const body = await readFile(new URL(file, PUBLIC));
      res.writeHead(200, { 'content-type': `${TYPES[file.split('.').pop()!]}; charset=utf-8` });
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
        for (const stream of streams) stream.write(`data: ${JSON.stringify(state)}\n\n`);
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'dashboard snapshot failed'))
      .finally(() => (building = false));
  };
  const ticker = setInterval(push, options.snapshotIntervalMs);
  // A replica going down or coming back shows at once, not at the next tick.
  const stopEvents = cluster.onReplicaEvent(push);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${address.port}/`;
  logger.info({ url }, 'gateway listening');

  return {
    url,
    clients,
    load,
    async close() {
      clearInterval(ticker);
      stopEvents();
      await load.stop();
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await clients.close();
    },
  };
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new HttpError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`, { field: issue.path.join('.') });
}

function orderJson(order: Order) {
  return {
    id: order.id,
    idempotencyKey: order.idempotencyKey,
    status: orderStateOf(order.status),
    lines: order.lines,
    totalCents: order.totalCents,
    failureReason: order.failureReason,
    paymentId: order.paymentId,
    createdAtMs: order.createdAtMs,
  };
}
