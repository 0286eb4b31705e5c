import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '@ballast/config';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Waterfall } from '../src/recent-orders.js';
import { startTelemetry } from '../src/telemetry.js';

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);

// As the shop's entry points do: the SDK first, then everything that loads @ballast/rpc.
const telemetry = startTelemetry('shop', {}, { dashboard: true });
const { startEmbeddedCluster } = await import('../src/embedded-cluster.js');
const { startGateway } = await import('../src/gateway.js');
const { seedStock } = await import('../src/inventory-service.js');
const { uniformStock } = await import('../src/order-workload.js');

describe('order traces (embedded shop)', () => {
  const store = new MemoryStore();
  let cluster: Awaited<ReturnType<typeof startEmbeddedCluster>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    await seedStock(store, uniformStock(10));
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 600_000 });
    gateway = await startGateway({ cluster });
  });
  afterAll(async () => {
    await gateway?.close();
    await cluster?.close();
    await telemetry.shutdown();
  });

  it("the dashboard's slowest recent order is a waterfall through every service the order touched", async () => {
    const slowestBefore = await fetch(new URL('/api/slowest-order', gateway.url)).then((r) => r.json());
    expect(slowestBefore).toEqual({ waterfall: null });
    const placed = await fetch(new URL('/api/orders', gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'traced-1' },
      body: JSON.stringify({ customerId: 'c-1', lines: [{ sku: 'BUOY-02', quantity: 1 }] }),
    });
    expect(placed.status).toBe(201);
    const { waterfall } = (await fetch(new URL('/api/slowest-order', gateway.url)).then((r) => r.json())) as {
      waterfall: Waterfall;
    };
    const names = waterfall.bars.map((bar) => `${'.'.repeat(bar.depth)}${bar.kind} ${bar.name}`);
    expect(names[0]).toBe('internal shop.order');
    // The order → its call → the attempt → the orders replica's server span → the calls it makes.
    expect(names).toContain('.client shop.v1.OrderService/PlaceOrder');
    expect(names).toContain('..client Attempt.shop.v1.OrderService/PlaceOrder');
    expect(names).toContain('...server shop.v1.OrderService/PlaceOrder');
    expect(names).toContain('.....client Attempt.shop.v1.InventoryService/Reserve');
    expect(names).toContain('......server shop.v1.InventoryService/Reserve');
    expect(names).toContain('.....client Attempt.shop.v1.PaymentService/Charge');
    const attempt = waterfall.bars.find((bar) => bar.name === 'Attempt.shop.v1.OrderService/PlaceOrder')!;
    expect(attempt.detail).toMatch(/first · ok$/);
    for (const bar of waterfall.bars) {
      expect(bar.startMs).toBeGreaterThanOrEqual(0);
      expect(bar.startMs + bar.durationMs).toBeLessThanOrEqual(waterfall.durationMs + 1);
    }

    // The dashboard draws it: one row per span, the order first.
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(gateway.url);
      const rows = page.locator('#waterfall .span-row');
      await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(waterfall.bars.length);
      expect(await rows.first().locator('.span-name').textContent()).toBe('shop.order');
      expect(await page.locator('#waterfall-summary').textContent()).toContain(waterfall.traceId);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.locator('#waterfall').screenshot({ path: fileURLToPath(new URL('waterfall.png', ARTIFACTS)) });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
