import { createHash } from 'node:crypto';
import { OrderStatus, type Order } from '@ballast/stubs/shop/v1/orders';

export type OrderState = 'pending' | 'confirmed' | 'failed';

/** An order as the KvStore holds it (JSON under shop/orders/<id>). */
export interface StoredOrder {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly customerId: string;
  readonly lines: readonly { readonly sku: string; readonly quantity: number }[];
  readonly totalCents: number;
  readonly status: OrderState;
  readonly failureReason: string;
  readonly paymentId: string;
  readonly createdAtMs: number;
  /** Hash of customer + lines: the same key sent with a different order is refused. */
  readonly fingerprint: string;
}

/** Order ids derive from the idempotency key, so every attempt of one PlaceOrder names the same order. */
export function orderIdFor(idempotencyKey: string): string {
  return `ord-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 20)}`;
}

export function fingerprintOf(customerId: string, lines: StoredOrder['lines']): string {
  const canonical = JSON.stringify([customerId, [...lines].sort((a, b) => a.sku.localeCompare(b.sku))]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** Reservation ids of an order's lines: stable per order, so a retry re-reserves nothing. */
export function reservationIdsOf(order: Pick<StoredOrder, 'id' | 'lines'>): string[] {
  return order.lines.map((_, i) => `${order.id}/${i}`);
}

const STATUS: Record<OrderState, OrderStatus> = {
  pending: OrderStatus.ORDER_STATUS_PENDING,
  confirmed: OrderStatus.ORDER_STATUS_CONFIRMED,
  failed: OrderStatus.ORDER_STATUS_FAILED,
};

export function toProtoOrder(order: StoredOrder): Order {
  return {
    id: order.id,
    idempotencyKey: order.idempotencyKey,
    lines: order.lines.map((l) => ({ ...l })),
    totalCents: order.totalCents,
    status: STATUS[order.status],
    failureReason: order.failureReason,
    paymentId: order.paymentId,
    createdAtMs: order.createdAtMs,
  };
}

export function orderStateOf(status: OrderStatus): OrderState | 'unknown' {
  if (status === OrderStatus.ORDER_STATUS_CONFIRMED) return 'confirmed';
  if (status === OrderStatus.ORDER_STATUS_FAILED) return 'failed';
  if (status === OrderStatus.ORDER_STATUS_PENDING) return 'pending';
  return 'unknown';
}
