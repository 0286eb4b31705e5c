import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { MemoryStore } from '@ballast/config';
import { seededRandom } from '@ballast/core';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { readInitialStock, seedStock } from '../src/inventory-service.js';
import { orderWorkload, uniformStock } from '../src/order-workload.js';
import { runOrders } from '../src/run-orders.js';
import { auditShop } from '../src/shop-audit.js';
import { connectShop } from '../src/shop-clients.js';

type Variant = 'steady' | 'replica-kills';

/** One run: `orders` orders from `concurrency` clients on a fresh embedded shop; kills at 1/4 and 1/2. */
async function once(variant: Variant, orders: number, concurrency: number, seed: number) {
  const store = new MemoryStore();
  await seedStock(store, uniformStock(1_000_000));
  const cluster = await startEmbeddedCluster({ store, restartDelayMs: 1000 });
  const clients = connectShop(store);
  try {
    const kills: Record<number, () => Promise<void>> =
      variant === 'replica-kills'
        ? {
            [Math.floor(orders / 4)]: () => cluster.kill('orders-1'),
            [Math.floor(orders / 2)]: () => cluster.kill('inventory-1'),
          }
        : {};
    const faults: Promise<void>[] = [];
    const started = performance.now();
    const result = await runOrders(clients.orders, orderWorkload(orders, seededRandom(seed), `bench-${seed}`), {
      concurrency,
      attempts: 8,
      onPlaced: (n) => kills[n] && faults.push(kills[n]()),
    });
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(faults);
    const latencies = result.attempts.map((a) => a.outcome.latencyMs).sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    const audit = await auditShop(store, await readInitialStock(store));
    return {
      orders_per_s: result.attempts.length / seconds,
      p50_ms: at(0.5),
      p99_ms: at(0.99),
      failed_calls: result.errors,
      duplicated: audit.duplicated,
      oversold: audit.oversold,
    };
  } finally {
    await clients.close();
    await cluster.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

export const scenario: Scenario = {
  name: 'shop-orders',
  description:
    'PlaceOrder end to end on the embedded shop (gateway client → orders → catalog, inventory, payments on MemoryStore): throughput and latency, steady and with replica kills',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const orders = quick ? 150 : 600;
    const concurrency = 8;
    const results: BenchRecord[] = [];
    for (const variant of ['steady', 'replica-kills'] as const) {
      const samples: Awaited<ReturnType<typeof once>>[] = [];
      for (let i = 0; i < runs && !signal.aborted; i++) {
        progress(`${variant} run ${i + 1}/${runs}`);
        samples.push(await once(variant, orders, concurrency, i + 1));
      }
      const figure = (name: keyof (typeof samples)[number]) => samples.map((s) => s[name]);
      const record: BenchRecord = { variant };
      for (const name of ['orders_per_s', 'p50_ms', 'p99_ms'] as const) {
        record[name] = round(median(figure(name)));
        record[`${name}_min`] = round(Math.min(...figure(name)));
        record[`${name}_max`] = round(Math.max(...figure(name)));
      }
      for (const name of ['failed_calls', 'duplicated', 'oversold'] as const) {
        record[name] = figure(name).reduce((a, b) => a + b, 0);
      }
      results.push(record);
    }
    return {
      params: { orders, concurrency, runs, replicasPerService: 2, store: 'MemoryStore' },
      results,
      anchors: [
        'failed_calls, duplicated and oversold must be 0: a client retrying with the same key always gets one order',
      ],
    };
  },
};
