import type { Logger } from '@ballast/core';
import { LiveConfig } from '@ballast/config';
import { seededRandom } from '@ballast/core';
import { readInitialStock } from './inventory-service.js';
import { placeOrderResiliently } from './order-runner.js';
import { orderWorkload } from './order-workload.js';
import { runOrders } from './run-orders.js';
import type { ShopClients } from './shop-clients.js';
import type { ShopCluster } from './shop-cluster.js';
import { auditShop } from './shop-audit.js';
import { defaultPaymentsConfig, paymentsConfigSchema } from './shop-config.js';
import { shopKeys } from './shop-keys.js';

export interface ChaosSummary {
  readonly mode: 'embedded' | 'etcd';
  readonly attempted: number;
  readonly succeeded: number;
  /** Refused with a final answer: out of stock or payment declined. */
  readonly failed: number;
  /** Of `failed`, those refused because the stock ran out (the rest were declined or broken). */
  readonly outOfStock: number;
  /** No final answer, even after a later retry with the same key. */
  readonly errors: number;
  /** Orders without a final answer during the run that a later retry with the same key completed. */
  readonly resumed: number;
  readonly duplicated: number;
  readonly oversold: number;
  readonly unbalancedSkus: number;
  /** Units held by confirmed orders, and the units there were. */
  readonly unitsSold: number;
  readonly unitsInStock: number;
  readonly faults: readonly string[];
  readonly seconds: number;
}

export interface ChaosOptions {
  cluster: ShopCluster;
  clients: ShopClients;
  orders?: number;
  concurrency?: number;
  seed?: number;
  log?: (line: string) => void;
  logger?: Logger;
}

/**
 * The scripted scenario: orders from concurrent clients while replicas are killed, frozen and
 * drained, payments turn slow and flaky, and (etcd mode) the etcd leader is killed. Each fault
 * fires when a share of the orders is done, so the script adapts to the machine's speed.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const { cluster, clients } = options;
  const log = options.log ?? (() => undefined);
  const total = options.orders ?? 300;
  const live = new LiveConfig(cluster.store, { logger: options.logger });
  const setPayments = (value: typeof defaultPaymentsConfig) =>
    live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => value);
  const faults: string[] = [];
  const step = (label: string, action: () => Promise<unknown>) => async () => {
    log(`chaos: ${label}`);
    faults.push(label);
    await action().catch((error: unknown) => log(`chaos: ${label} failed: ${(error as Error).message}`));
  };
  const etcd = cluster.mode === 'etcd';
  const kill = etcd ? 'SIGKILL' : 'kill';
  const script: [number, () => Promise<void>][] = [
    [0.1, step(`${kill} orders-1`, () => cluster.kill('orders-1'))],
    [0.2, step(etcd ? 'SIGSTOP inventory-1' : 'freeze inventory-1', () => cluster.freeze('inventory-1'))],
    [
      0.3,
      step('payments slow (300 ms) and flaky (20 % failures)', () =>
        setPayments({ latencyMs: 300, failureRate: 0.2, declineRate: 0 }),
      ),
    ],
    [0.4, step(etcd ? 'SIGCONT inventory-1' : 'thaw inventory-1', () => cluster.heal('inventory-1'))],
    etcd
      ? [0.5, step('SIGKILL the etcd leader', () => cluster.killEtcdLeader())]
      : [0.5, step('kill payments-2', () => cluster.kill('payments-2'))],
    [0.6, step(etcd ? 'SIGTERM orders-2 (drain)' : 'drain orders-2', () => cluster.drain('orders-2'))],
    [0.7, step(`${kill} inventory-2`, () => cluster.kill('inventory-2'))],
    [0.8, step('payments back to normal', () => setPayments(defaultPaymentsConfig))],
    [0.85, step(`${kill} catalog-1`, () => cluster.kill('catalog-1'))],
  ];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const run = `chaos-${Date.now().toString(36)}`;
  const result = await runOrders(clients.orders, orderWorkload(total, seededRandom(options.seed ?? 1), run), {
    concurrency: options.concurrency ?? 8,
    attempts: 8,
    onPlaced(n) {
      while (script.length > 0 && n >= script[0]![0] * total) pending.push(script.shift()![1]());
      if (n % 50 === 0) log(`chaos: ${n}/${total} orders answered`);
    },
  });
  await Promise.all(pending);
  await setPayments(defaultPaymentsConfig);
  // A client with no final answer comes back later with the same key: the order resumes, once.
  let resumed = 0;
  for (const attempt of result.attempts.filter((a) => a.outcome.kind === 'error')) {
    const outcome = await placeOrderResiliently(clients.orders, attempt.request, { attempts: 5 });
    if (outcome.kind !== 'error') resumed++;
    Object.assign(attempt, { outcome });
  }
  const count = (kind: string) => result.attempts.filter((a) => a.outcome.kind === kind).length;
  const initial = await readInitialStock(cluster.store);
  const audit = await auditShop(cluster.store, initial);
  return {
    mode: cluster.mode,
    attempted: result.attempts.length,
    succeeded: count('confirmed'),
    failed: count('failed'),
    outOfStock: result.attempts.filter(
      (a) => a.outcome.kind === 'failed' && a.outcome.reason.startsWith('out of stock'),
    ).length,
    errors: count('error'),
    resumed,
    duplicated: audit.duplicated,
    oversold: audit.oversold,
    unbalancedSkus: audit.unbalanced.length,
    unitsSold: Object.values(audit.stock).reduce((sum, level) => sum + level.reserved, 0),
    unitsInStock: Object.values(initial).reduce((sum, units) => sum + units, 0),
    faults,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export function formatSummary(s: ChaosSummary): string {
  return [
    `chaos summary (${s.mode} mode, ${s.seconds} s)`,
    `  orders attempted   ${s.attempted}`,
    `  succeeded          ${s.succeeded}`,
    `  failed             ${s.failed + s.errors}  (${s.failed} refused: out of stock or declined; ${s.errors} without a final answer)`,
    `  resumed later      ${s.resumed}  (no final answer during the faults; a later retry with the same key finished them)`,
    `  duplicated         ${s.duplicated}`,
    `  stock oversold     ${s.oversold}  (${s.unitsSold} of ${s.unitsInStock} units sold)`,
    `  unbalanced SKUs    ${s.unbalancedSkus}  (available + reserved ≠ initial)`,
    `  faults injected    ${s.faults.length}: ${s.faults.join('; ')}`,
  ].join('\n');
}
