import type { Random } from '@ballast/core';
import { PRODUCTS } from './catalog-service.js';

export interface OrderRequest {
  idempotencyKey: string;
  customerId: string;
  lines: { sku: string; quantity: number }[];
}

/** `count` random orders of 1–2 distinct SKUs, 1–3 units each; keys are unique per `run`. */
export function orderWorkload(count: number, random: Random, run: string): OrderRequest[] {
  const orders: OrderRequest[] = [];
  for (let i = 0; i < count; i++) {
    const first = Math.floor(random() * PRODUCTS.length);
    const skus =
      random() < 0.5 ? [first] : [first, (first + 1 + Math.floor(random() * (PRODUCTS.length - 1))) % PRODUCTS.length];
    orders.push({
      idempotencyKey: `${run}-${i}`,
      customerId: `customer-${Math.floor(random() * 50)}`,
      lines: skus.map((s) => ({ sku: PRODUCTS[s]!.sku, quantity: 1 + Math.floor(random() * 3) })),
    });
  }
  return orders;
}

/** Initial stock of every SKU: `units` each. */
export function uniformStock(units: number): Record<string, number> {
  return Object.fromEntries(PRODUCTS.map((p) => [p.sku, units]));
}
