import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '@ballast/config';
import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { seedStock } from '../src/inventory-service.js';
import { uniformStock } from '../src/order-workload.js';
import { startProcessCluster } from '../src/process-cluster.js';
import type { ShopCluster } from '../src/shop-cluster.js';

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);

const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });

describe('dashboard in headless Chromium', () => {
  let cluster: ShopCluster | undefined;
  let gateway: Gateway | undefined;
  let browser: Browser | undefined;
  let etcd: EtcdCluster | undefined;
  afterEach(async () => {
    await browser?.close();
    await gateway?.close();
    await cluster?.close();
    await etcd?.stop();
    [browser, gateway, cluster, etcd] = [undefined, undefined, undefined, undefined];
  });

  it('lists every replica; "kill" shows one down, then serving again', async () => {
    const store = new MemoryStore();
    await seedStock(store, uniformStock(5000));
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 2000 });
    gateway = await startGateway({ cluster, snapshotIntervalMs: 250 });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(gateway.url);

    const rows = page.locator('#replicas tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(8);
    const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-replica')));
    expect(names.sort()).toEqual(
      ['catalog', 'inventory', 'orders', 'payments'].flatMap((s) => [`${s}-1`, `${s}-2`]).sort(),
    );
    const state = (name: string) => page.locator(`tr[data-replica="${name}"]`).getAttribute('data-state');
    await expect.poll(() => state('orders-1'), { timeout: 20_000 }).toBe('serving');

    await page.click('#load-start');
    await expect
      .poll(async () => Number(await page.locator('#load dd').nth(2).textContent()), { timeout: 20_000 })
      .toBeGreaterThan(5);

    await page.locator('tr[data-replica="orders-1"] button[data-action="kill"]').click();
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await state('orders-1')) ?? '');
          return seen.has('down') || seen.has('restarting');
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    await expect.poll(() => state('orders-1'), { timeout: 30_000 }).toBe('serving');
    expect(await page.locator('tr[data-replica="orders-1"] td').last().textContent()).toContain('kill');
    expect(Number(await page.locator('tr[data-replica="orders-1"] td').nth(7).textContent())).toBe(1);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.locator('tr[data-replica="payments-2"] button[data-action="slow"]').click();
    await expect
      .poll(() => page.locator('tr[data-replica="payments-2"] td').nth(6).textContent(), { timeout: 10_000 })
      .toBe('500 ms');
    await page.screenshot({ fullPage: true, path: fileURLToPath(new URL('dashboard.png', ARTIFACTS)) });
    await page.click('#load-stop');
  }, 90_000);

  it('with a control token, asks for it once and then drives the controls with it', async () => {
    const token = 'dashboard-token-0123456789';
    const store = new MemoryStore();
    await seedStock(store, uniformStock(5000));
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 2000 });
    gateway = await startGateway({ cluster, snapshotIntervalMs: 250, token });
    browser = await launchChromium();
    const page = await browser.newPage();
    const prompts: string[] = [];
    page.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(token);
    });
    await page.goto(gateway.url);
    await expect.poll(() => page.locator('#replicas tbody tr').count(), { timeout: 20_000 }).toBe(8);

    await page.click('#load-start');
    await expect.poll(() => gateway!.load.stats().running, { timeout: 10_000 }).toBe(true);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatch(/BALLAST_GATEWAY_TOKEN/);
    await page.click('#load-stop');
    await expect.poll(() => gateway!.load.stats().running, { timeout: 10_000 }).toBe(false);
    expect(prompts).toHaveLength(1);
  }, 60_000);

  it('etcd mode: says it is starting; a SIGSTOP under load shows on the call graph, the chart and the timeline; SIGKILL shows the supervisor bringing it back', async () => {
    etcd = await startEtcdCluster({ members: 3 });
    cluster = await startProcessCluster({ endpoints: etcd.endpoints, etcdCluster: etcd, logLevel: 'error' });
    await seedStock(cluster.store, uniformStock(5000));
    gateway = await startGateway({ cluster, snapshotIntervalMs: 250 });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(gateway.url);
    const state = (name: string) => page.locator(`tr[data-replica="${name}"]`).getAttribute('data-state');
    // The replica processes take seconds to start: the page says so instead of pretending.
    await expect
      .poll(() => page.locator('#startup').textContent(), { timeout: 10_000, interval: 100 })
      .toMatch(/^starting: [0-7] of 8 replicas serving$/);
    await expect
      .poll(() => page.locator('tr[data-state="serving"]').count(), { timeout: 60_000, interval: 250 })
      .toBe(8);
    await expect.poll(() => page.locator('#startup').isHidden(), { timeout: 5_000 }).toBe(true);
    await expect.poll(() => page.locator('#etcd li.leader').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#mode').textContent()).toMatch(/etcd mode/);

    // Under load, the orders replicas' own clients call inventory-1: that hop is on the graph.
    await page.click('#load-start');
    const hopRate = (from: string, to: string) =>
      page.locator(`#graph g.edge[data-from="${from}"][data-to="${to}"]`).getAttribute('data-rate');
    await expect
      .poll(
        async () => Number(await hopRate('orders-1', 'inventory-1')) + Number(await hopRate('orders-2', 'inventory-1')),
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toBeGreaterThan(0);

    await page.locator('tr[data-replica="inventory-1"] button[data-action="freeze"]').click();
    await expect.poll(() => state('inventory-1'), { timeout: 10_000 }).toBe('frozen');
    const timeline = (kind: string) =>
      page.locator(`#timeline li[data-kind="${kind}"][data-subject="inventory-1"]`).allTextContents();
    await expect
      .poll(() => timeline('fault'), { timeout: 10_000 })
      .toContainEqual(expect.stringMatching(/inventory-1 frozen/));
    // An orders replica's client took it out: the reaction names the fault, the caller and the time between.
    await expect
      .poll(() => timeline('reaction'), { timeout: 20_000, interval: 250 })
      .toContainEqual(
        expect.stringMatching(
          /inventory-1 frozen [\d:.]+ → (ejected|marked down) by orders-[12]'s client .* \(\d+ ms\)/,
        ),
      );
    // The chart's series for inventory-1 had traffic and has dropped to nothing, with the fault marked.
    const callsOf = async (name: string) => {
      const box = page.locator('#chart-calls');
      const labels = JSON.parse((await box.getAttribute('data-series')) ?? '[]') as string[];
      const data = await page.evaluate(
        () =>
          (globalThis as unknown as { shopCharts: { plots: { calls: { data: number[][] } } } }).shopCharts.plots.calls
            .data,
      );
      return {
        values: data[labels.indexOf(name) + 1] ?? [],
        marks: Number((await box.getAttribute('data-fault-marks')) ?? 0),
      };
    };
    await expect
      .poll(
        async () => {
          const { values, marks } = await callsOf('inventory-1');
          return {
            hadTraffic: Math.max(...values) > 0,
            nowNone: values.slice(-3).every((v) => v === 0),
            marked: marks >= 1,
          };
        },
        { timeout: 20_000, interval: 250 },
      )
      .toEqual({ hadTraffic: true, nowNone: true, marked: true });
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ fullPage: true, path: fileURLToPath(new URL('dashboard-etcd-frozen.png', ARTIFACTS)) });
    // The top of the page (replicas, call graph, charts, timeline): the README's picture.
    const clip = { x: 0, y: 0, width: 1280, height: 1720 };
    await page.screenshot({ fullPage: true, clip, path: fileURLToPath(new URL('dashboard-readme.png', ARTIFACTS)) });

    await page.locator('tr[data-replica="inventory-1"] button[data-action="heal"]').click();
    await expect.poll(() => state('inventory-1'), { timeout: 10_000 }).toBe('serving');
    await page.click('#load-stop');

    await page.locator('tr[data-replica="payments-1"] button[data-action="kill"]').click();
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await state('payments-1')) ?? '');
          return ['down', 'restarting', 'starting'].some((s) => seen.has(s));
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    await expect.poll(() => state('payments-1'), { timeout: 30_000, interval: 250 }).toBe('serving');
    expect(Number(await page.locator('tr[data-replica="payments-1"] td').nth(7).textContent())).toBeGreaterThanOrEqual(
      1,
    );
    await page.screenshot({ fullPage: true, path: fileURLToPath(new URL('dashboard-etcd.png', ARTIFACTS)) });
  }, 150_000);
});
