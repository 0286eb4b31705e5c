import type { KvStore } from '@ballast/config';
import type { Reservation, StockLevel } from './inventory-service.js';
import { shopKeys } from './shop-keys.js';
import { reservationIdsOf, type StoredOrder } from './stored-order.js';

export interface ShopAudit {
  readonly orders: { readonly confirmed: number; readonly failed: number; readonly pending: number };
  /** Orders sharing an idempotency key, beyond the first (must be 0). */
  readonly duplicated: number;
  /** Units sold beyond initial stock, over every SKU (must be 0). */
  readonly oversold: number;
  /** SKUs where available + reserved ≠ initial, or reserved ≠ units held by reservations. */
  readonly unbalanced: readonly string[];
  /** Confirmed orders without every line held, or failed orders still holding stock. */
  readonly inconsistentOrders: readonly string[];
  /** Captured payments of orders that did not confirm (money taken for nothing). */
  readonly strandedPayments: number;
  readonly stock: Readonly<Record<string, StockLevel>>;
}

/**
 * Reads the whole shop state from the store and checks its invariants: every unit is either
 * available or held by exactly one reservation, confirmed orders hold their stock, failed ones
 * hold none, and no idempotency key produced two orders.
 */
export async function auditShop(store: KvStore, initial: Readonly<Record<string, number>>): Promise<ShopAudit> {
  const orders = (await store.range(shopKeys.ordersPrefix)).kvs.map((kv) => JSON.parse(kv.value) as StoredOrder);
  const reservations = new Map(
    (await store.range('shop/reservations/')).kvs.map((kv) => [
      kv.key.slice('shop/reservations/'.length),
      JSON.parse(kv.value) as Reservation,
    ]),
  );
  const payments = new Map(
    (await store.range(shopKeys.paymentsPrefix)).kvs.map((kv) => [
      kv.key.slice(shopKeys.paymentsPrefix.length),
      JSON.parse(kv.value) as { captured: boolean },
    ]),
  );
  const stock: Record<string, StockLevel> = {};
  for (const sku of Object.keys(initial)) {
    const { kv } = await store.get(shopKeys.stock(sku));
    stock[sku] = kv ? (JSON.parse(kv.value) as StockLevel) : { available: 0, reserved: 0 };
  }

  const held: Record<string, number> = {};
  for (const r of reservations.values()) if (r.state === 'held') held[r.sku] = (held[r.sku] ?? 0) + r.quantity;
  const unbalanced: string[] = [];
  let oversold = 0;
  for (const [sku, units] of Object.entries(initial)) {
    const level = stock[sku]!;
    if (level.available + level.reserved !== units || level.reserved !== (held[sku] ?? 0)) unbalanced.push(sku);
    oversold += Math.max(0, level.reserved - units) + Math.max(0, -level.available);
  }

  const inconsistentOrders: string[] = [];
  const keys = new Map<string, number>();
  let strandedPayments = 0;
  const counts = { confirmed: 0, failed: 0, pending: 0 };
  for (const order of orders) {
    counts[order.status]++;
    keys.set(order.idempotencyKey, (keys.get(order.idempotencyKey) ?? 0) + 1);
    const states = reservationIdsOf(order).map((id) => reservations.get(id)?.state);
    if (order.status === 'confirmed' && !states.every((s) => s === 'held')) inconsistentOrders.push(order.id);
    if (order.status === 'failed' && states.some((s) => s === 'held')) inconsistentOrders.push(order.id);
    if (order.status !== 'confirmed' && payments.get(order.paymentId)?.captured) strandedPayments++;
  }
  const duplicated = [...keys.values()].reduce((sum, n) => sum + n - 1, 0);
  return { orders: counts, duplicated, oversold, unbalanced, inconsistentOrders, strandedPayments, stock };
}
