import { MemoryStore } from '@ballast/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { seedStock } from '../src/inventory-service.js';
import { uniformStock } from '../src/order-workload.js';
import type { ShopCluster } from '../src/shop-cluster.js';
import { auditShop } from '../src/shop-audit.js';

describe('gateway HTTP API (embedded shop)', () => {
  const store = new MemoryStore();
  const initial = uniformStock(10);
  let cluster: ShopCluster;
  let gateway: Gateway;
  // Bodies go as JSON, as the dashboard sends them: the gateway refuses any other media type.
  const api = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, gateway.url), {
      ...init,
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    }).then(async (r) => ({
      status: r.status,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
      body: (await r.json()) as any,
    }));
  const order = (key: string | undefined, body: unknown) =>
    api('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    await seedStock(store, initial);
    // Stopped replicas stay down for this suite: the 503 test needs a service with no replica.
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 600_000 });
    // The system's points are taken by the tests themselves (monitor.sample()), so rates are exact.
    gateway = await startGateway({ cluster, sampleIntervalMs: 600_000 });
  });
  afterAll(async () => {
    await gateway?.close();
    await cluster?.close();
  });

  it('lists the products through the catalog stream, filtered by category', async () => {
    const all = await api('/api/products');
    expect(all.status).toBe(200);
    expect(all.body.products.map((p: { sku: string }) => p.sku)).toContain('ANCHOR-01');
    const rigging = await api('/api/products?category=rigging');
    expect(rigging.body.products.every((p: { category: string }) => p.category === 'rigging')).toBe(true);
    expect(rigging.body.products.length).toBeGreaterThan(0);
  });

  it('places an order once per Idempotency-Key and reads it back', async () => {
    const body = { customerId: 'c-1', lines: [{ sku: 'BUOY-02', quantity: 2 }] };
    const first = await order('key-1', body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'confirmed', totalCents: 9000 });
    const again = await Promise.all([order('key-1', body), order('key-1', body), order('key-1', body)]);
    for (const answer of again) expect(answer.body.id).toBe(first.body.id);
    expect((await api(`/api/orders/${first.body.id}`)).body).toMatchObject({ id: first.body.id, status: 'confirmed' });
    expect((await api('/api/stock/BUOY-02')).body).toMatchObject({ available: 8, reserved: 2 });
    const reused = await order('key-1', { customerId: 'c-1', lines: [{ sku: 'BUOY-02', quantity: 3 }] });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatch(/used for a different order/);
    const audit = await auditShop(store, initial);
    expect(audit.orders.confirmed).toBe(1);
    expect(audit.duplicated).toBe(0);
  });

  it('shows every hop: the orders replicas report their own clients, and the charts get a point per interval', async () => {
    await gateway.monitor.sample();
    const placed = await order('hop-1', { customerId: 'c-hop', lines: [{ sku: 'ANCHOR-01', quantity: 1 }] });
    expect(placed.status).toBe(201);
    await gateway.monitor.sample();
    const state = (await api('/api/state')).body;
    expect(state.callers).toEqual(
      expect.arrayContaining([
        { caller: 'gateway', reached: true },
        { caller: 'orders-1', reached: true },
        { caller: 'orders-2', reached: true },
      ]),
    );
    const hops = (from: RegExp, to: RegExp) =>
      state.edges.filter((e: { from: string; to: string }) => from.test(e.from) && to.test(e.to));
    // What each caller's clients sent so far (counters; the rates on the graph are their differences).
    const picks = (from: RegExp, to: RegExp) =>
      gateway.monitor
        .reports()
        .filter((r) => from.test(r.caller))
        .flatMap((r) => r.clients.flatMap((c) => c.endpoints))
        .filter((e) => to.test(e.replica))
        .reduce((sum, e) => sum + e.picks, 0);
    // The order went gateway → orders → catalog, inventory and payments: each of those hops carried it.
    expect(hops(/^gateway$/, /^orders-/)).toHaveLength(2);
    expect(picks(/^gateway$/, /^orders-/)).toBeGreaterThan(0);
    for (const service of [/^catalog-/, /^inventory-/, /^payments-/]) {
      expect(hops(/^orders-/, service)).toHaveLength(4);
      expect(picks(/^orders-/, service)).toBeGreaterThan(0);
    }
    expect(state.startup).toEqual({ serving: 8, total: 8, ready: true });
    const history = (await api('/api/history')).body;
    expect(history.samples.length).toBeGreaterThanOrEqual(2);
    // The chart library is served by the gateway itself, behind the same Host check.
    const uplot = await fetch(new URL('/vendor/uPlot.iife.min.js', gateway.url));
    expect(uplot.status).toBe(200);
    expect(uplot.headers.get('content-type')).toMatch(/text\/javascript/);
    expect((await uplot.text()).length).toBeGreaterThan(10_000);
  });

  it('concurrent first attempts of one key (a retry racing a hedge) create one order and one payment', async () => {
    const body = {
      customerId: 'c-2',
      lines: [
        { sku: 'ROPE-03', quantity: 3 },
        { sku: 'CHART-06', quantity: 1 },
      ],
    };
    const answers = await Promise.all(Array.from({ length: 6 }, () => order('race-1', body)));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect((await api('/api/stock/ROPE-03')).body).toMatchObject({ available: 7, reserved: 3 });
    const { kvs } = await store.range('shop/payments/');
    expect(kvs.filter((kv) => kv.key.endsWith(answers[0]!.body.id))).toHaveLength(1);
  });

  it('refuses an order beyond the stock with 409 and releases what it held', async () => {
    const refused = await order('too-many', {
      customerId: 'c-3',
      lines: [
        { sku: 'COMPASS-05', quantity: 4 },
        { sku: 'SAIL-04', quantity: 11 },
      ],
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/out of stock/);
    expect(refused.body.order.status).toBe('failed');
    expect((await api('/api/stock/COMPASS-05')).body).toMatchObject({ available: 10, reserved: 0 });
  });

  it('answers bad input with 400 and a message naming the problem', async () => {
    expect(await order(undefined, { customerId: 'c', lines: [{ sku: 'BUOY-02', quantity: 1 }] })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/Idempotency-Key/) },
    });
    expect((await order('k-json', '{not json')).status).toBe(400);
    expect(await order('k-lines', { customerId: 'c', lines: [] })).toMatchObject({
      status: 400,
      body: { field: 'lines' },
    });
    expect(await order('k-sku', { customerId: 'c', lines: [{ sku: 'NOPE', quantity: 1 }] })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/unknown sku "NOPE"/), grpcStatus: 'INVALID_ARGUMENT' },
    });
    expect(await api('/api/config/payments', { method: 'PUT', body: '{"failureRate": 3}' })).toMatchObject({
      status: 400,
      body: { field: 'failureRate' },
    });
  });

  it('answers unknown routes with 404, unknown orders with 404 and wrong methods with 405', async () => {
    expect((await api('/api/nope')).status).toBe(404);
    expect((await api('/api/orders/ord-missing')).body).toMatchObject({ grpcStatus: 'NOT_FOUND' });
    expect((await api('/api/products', { method: 'DELETE' })).status).toBe(405);
    expect((await api('/api/replicas/nope-9/kill', { method: 'POST' })).status).toBe(404);
  });

  it('applies a payments config change live', async () => {
    const set = await api('/api/config/payments', { method: 'PUT', body: '{"declineRate": 1}' });
    expect(set).toMatchObject({ status: 200, body: { declineRate: 1 } });
    await expect
      .poll(
        async () =>
          (await order(`declined-${Date.now()}`, { customerId: 'c', lines: [{ sku: 'CHART-06', quantity: 1 }] })).body
            .error,
        {
          timeout: 10_000,
        },
      )
      .toBe('payment declined');
    await api('/api/config/payments', { method: 'PUT', body: '{}' });
  });

  it('turns an upstream outage into 503 with the gRPC status, and keeps serving', async () => {
    await cluster.kill('inventory-1');
    await cluster.kill('inventory-2');
    const answer = await api('/api/stock/BUOY-02');
    expect(answer.status).toBe(503);
    expect(answer.body.grpcStatus).toMatch(/UNAVAILABLE|DEADLINE_EXCEEDED/);
    expect((await api('/api/products')).status).toBe(200);
  });
});
