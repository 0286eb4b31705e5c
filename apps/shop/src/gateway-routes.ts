import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConflictError, type KvStore, type LiveConfig } from '@ballast/config';
import type { Logger } from '@ballast/core';
import type { Order } from '@ballast/stubs/shop/v1/orders';
import { z } from 'zod';
import type { DashboardStateBuilder } from './dashboard-state.js';
import type { EventStreams } from './event-streams.js';
import { METRICS_CONTENT_TYPE, metricsText } from './gateway-metrics.js';
import { decodeSegment, HttpError, readJson, sendJson } from './http-util.js';
import type { LoadGenerator } from './load-generator.js';
import { inOrderSpan } from './order-runner.js';
import type { ShopClients } from './shop-clients.js';
import type { ShopCluster } from './shop-cluster.js';
import { paymentsConfigSchema } from './shop-config.js';
import { shopKeys } from './shop-keys.js';
import { orderStateOf } from './stored-order.js';
import type { SystemMonitor } from './system-monitor.js';
import { currentTelemetry } from './telemetry.js';

/** Method, path pattern, handler (given the pattern's groups, still percent-encoded). */
export type Route = [string, RegExp, (req: IncomingMessage, res: ServerResponse, groups: string[]) => Promise<void>];

export interface RouteDeps {
  readonly cluster: ShopCluster;
  readonly clients: ShopClients;
  readonly load: LoadGenerator;
  readonly live: LiveConfig;
  readonly dashboard: DashboardStateBuilder;
  readonly monitor: SystemMonitor;
  readonly streams: EventStreams;
  readonly logger: Logger;
}

const orderBodySchema = z.object({
  customerId: z.string().min(1, 'customerId is required').max(128),
  lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().min(1).max(100) })).min(1),
});
const slowBodySchema = z.object({ delayMs: z.number().int().min(0).max(30_000).default(500) });
const loadBodySchema = z.object({ concurrency: z.number().int().min(1).max(64).default(4) });

/** The payments panel accepts only the fields the replicas apply, and names any other. */
const paymentsBodySchema = paymentsConfigSchema.strict();

/** The gateway's API: the shop's services as JSON, the dashboard's state and its controls. */
export function gatewayRoutes(deps: RouteDeps): Route[] {
  const { cluster, clients, load, live, dashboard, monitor, streams, logger } = deps;
  return [
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
        const { order } = await inOrderSpan(key, () => clients.orders.placeOrder({ idempotencyKey: key, ...body }));
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
        const { order } = await clients.orders.getOrder({ id: decodeSegment(id!, 'order id') });
        sendJson(res, 200, orderJson(order!));
      },
    ],
    [
      'GET',
      /^\/api\/stock\/([^/]+)$/,
      async (_req, res, [sku]) => {
        const stock = await clients.inventory.getStock({ sku: decodeSegment(sku!, 'sku') });
        sendJson(res, 200, stock);
      },
    ],
    ['GET', /^\/healthz$/, async (_req, res) => sendJson(res, 200, { ok: true })],
    [
      'GET',
      /^\/metrics$/,
      async (_req, res) => {
        const text = await metricsText();
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
        res.end(text);
      },
    ],
    [
      'GET',
      /^\/api\/slowest-order$/,
      async (_req, res) => sendJson(res, 200, { waterfall: currentTelemetry()?.recentOrders?.slowest() ?? null }),
    ],
    ['GET', /^\/api\/state$/, async (_req, res) => sendJson(res, 200, await dashboard.build())],
    ['GET', /^\/api\/history$/, async (_req, res) => sendJson(res, 200, { samples: monitor.history.samples() })],
    ['GET', /^\/api\/events$/, async (req, res) => streams.open(req, res, JSON.stringify(await dashboard.build()))],
    [
      'POST',
      /^\/api\/replicas\/([^/]+)\/(kill|freeze|drain|heal|slow)$/,
      async (req, res, [name, action]) => {
        const replica = decodeSegment(name!, 'replica name');
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
        const at = Date.now();
        const killed = await cluster.killEtcdLeader();
        monitor.timeline.add({ at, kind: 'fault', subject: killed, text: `etcd leader ${killed} killed` });
        sendJson(res, 202, { killed });
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
        const value = parse(paymentsBodySchema, await readJson(req));
        await replaceConfig(cluster.store, live, shopKeys.paymentsConfig, paymentsBodySchema, value);
        sendJson(res, 200, value);
      },
    ],
  ];
}

/**
 * Writes `value` over whatever the store holds, compare-and-swap on the key's revision. Unlike
 * LiveConfig.update it never decodes the current value: a PUT replaces it whole, and a value the
 * replicas rejected (written with etcdctl, say) is exactly what the panel must be able to fix.
 */
async function replaceConfig<T>(
  store: KvStore,
  live: LiveConfig,
  key: string,
  schema: z.ZodType<T>,
  value: T,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { kv } = await store.get(key);
    try {
      await live.set(key, schema, value, kv?.modRevision ?? 0);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 10) throw error;
    }
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  const field = issue.code === 'unrecognized_keys' ? [path, issue.keys[0]].filter(Boolean).join('.') : path;
  throw new HttpError(400, `${path || 'body'}: ${issue.message}`, { field });
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
