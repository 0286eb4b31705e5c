import type { KeyValue, KvStore } from '@ballast/config';
import type { Logger } from '@ballast/core';
import type { CatalogServiceDefinition } from '@ballast/stubs/shop/v1/catalog';
import type { InventoryServiceDefinition } from '@ballast/stubs/shop/v1/inventory';
import type { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import type { PaymentServiceDefinition } from '@ballast/stubs/shop/v1/payments';
import { ClientError, ServerError, Status, type Client, type ServiceImplementation } from 'nice-grpc';
import { z } from 'zod';
import { shopKeys } from './shop-keys.js';
import {
  fingerprintOf,
  orderIdFor,
  reservationIdsOf,
  toProtoOrder,
  type OrderState,
  type StoredOrder,
} from './stored-order.js';

export interface OrdersDependencies {
  store: KvStore;
  catalog: Client<typeof CatalogServiceDefinition>;
  inventory: Client<typeof InventoryServiceDefinition>;
  payments: Client<typeof PaymentServiceDefinition>;
  logger?: Logger;
  now?: () => number;
}

const placeSchema = z.object({
  idempotencyKey: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, '1–128 of letters, digits, . _ : -'),
  customerId: z.string().min(1, 'customer_id is required').max(128),
  lines: z
    .array(z.object({ sku: z.string().min(1, 'sku is required'), quantity: z.number().int().min(1).max(100) }))
    .min(1, 'an order needs at least one line')
    .max(20)
    .refine((lines) => new Set(lines.map((l) => l.sku)).size === lines.length, 'one line per sku'),
});

/**
 * OrderService. PlaceOrder = create the order (once per idempotency key) → reserve each line →
 * charge → confirm. Every step is idempotent and its first outcome is recorded, so concurrent
 * attempts of one order (a retry racing a hedge) all reach the same final state; only one of them
 * writes it (compare-and-swap on the order key). A transient failure leaves the order pending:
 * the same key resumes it.
 */
export function createOrdersService(deps: OrdersDependencies): ServiceImplementation<typeof OrderServiceDefinition> {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;

  const read = async (id: string): Promise<{ order: StoredOrder; kv: KeyValue } | undefined> => {
    const { kv } = await store.get(shopKeys.order(id));
    return kv ? { order: JSON.parse(kv.value) as StoredOrder, kv } : undefined;
  };

  const create = async (request: z.output<typeof placeSchema>, signal: AbortSignal) => {
    const id = orderIdFor(request.idempotencyKey);
    const existing = await read(id);
    if (existing) return existing;
    let totalCents = 0;
    for (const line of request.lines) {
      const { product } = await deps.catalog.getProduct({ sku: line.sku }, { signal }).catch((error: unknown) => {
        if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
          throw new ServerError(Status.INVALID_ARGUMENT, `unknown sku "${line.sku}"`);
        }
        throw error;
      });
      totalCents += (product?.priceCents ?? 0) * line.quantity;
    }
    const order: StoredOrder = {
      id,
      idempotencyKey: request.idempotencyKey,
      customerId: request.customerId,
      lines: request.lines,
      totalCents,
      status: 'pending',
      failureReason: '',
      paymentId: `pay-${id}`,
      createdAtMs: now(),
      fingerprint: fingerprintOf(request.customerId, request.lines),
    };
    const key = shopKeys.order(id);
    await store.txn({
      compare: [{ key, target: 'version', op: '==', value: 0 }],
      success: [{ type: 'put', key, value: JSON.stringify(order) }],
    });
    const stored = await read(id);
    if (!stored) throw new ServerError(Status.UNAVAILABLE, `order ${id} vanished while being created: retry`);
    if (stored.kv.createRevision === stored.kv.modRevision && stored.order.createdAtMs === order.createdAtMs) {
      logger?.info({ orderId: id, key: request.idempotencyKey, totalCents }, 'order created');
    }
    return stored;
  };

  /** Runs the remaining steps; returns the outcome this attempt reached (not yet written). */
  const decide = async (order: StoredOrder, signal: AbortSignal): Promise<{ status: OrderState; reason: string }> => {
    const ids = reservationIdsOf(order);
    for (const [i, line] of order.lines.entries()) {
      try {
        await deps.inventory.reserve({ reservationId: ids[i]!, sku: line.sku, quantity: line.quantity }, { signal });
      } catch (error) {
        if (error instanceof ClientError && error.code === Status.FAILED_PRECONDITION) {
          return { status: 'failed', reason: error.details };
        }
        throw error;
      }
    }
    const { payment } = await deps.payments.charge(
      { paymentId: order.paymentId, customerId: order.customerId, amountCents: order.totalCents },
      { signal },
    );
    return payment?.captured ? { status: 'confirmed', reason: '' } : { status: 'failed', reason: 'payment declined' };
  };

  const finish = async (id: string, outcome: { status: OrderState; reason: string }): Promise<StoredOrder> => {
    for (;;) {
      const current = await read(id);
      if (!current) throw new ServerError(Status.UNAVAILABLE, `order ${id} vanished: retry`);
      if (current.order.status !== 'pending') return current.order;
      const next: StoredOrder = { ...current.order, status: outcome.status, failureReason: outcome.reason };
      const result = await store.txn({
        compare: [{ key: shopKeys.order(id), target: 'modRevision', op: '==', value: current.kv.modRevision }],
        success: [{ type: 'put', key: shopKeys.order(id), value: JSON.stringify(next) }],
      });
      if (result.succeeded) {
        logger?.info({ orderId: id, status: next.status, reason: next.failureReason }, `order ${next.status}`);
        return next;
      }
    }
  };

  const releaseAll = async (order: StoredOrder, signal: AbortSignal) => {
    for (const reservationId of reservationIdsOf(order)) await deps.inventory.release({ reservationId }, { signal });
  };

  return {
    async placeOrder(request, context) {
      const parsed = placeSchema.safeParse(request);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ServerError(Status.INVALID_ARGUMENT, `${issue.path.join('.') || 'request'}: ${issue.message}`);
      }
      const { order } = await create(parsed.data, context.signal);
      if (order.fingerprint !== fingerprintOf(parsed.data.customerId, parsed.data.lines)) {
        throw new ServerError(
          Status.FAILED_PRECONDITION,
          `idempotency key "${order.idempotencyKey}" was used for a different order (${order.id}): use a new key`,
        );
      }
      let final = order;
      if (order.status === 'pending') {
        final = await finish(order.id, await decide(order, context.signal));
      }
      // Whoever sees a failed order releases its stock: release is idempotent and leaves a tombstone,
      // so a late reserve of the same line cannot take stock back.
      if (final.status === 'failed') await releaseAll(final, context.signal);
      return { order: toProtoOrder(final) };
    },

    async getOrder(request) {
      if (!request.id) throw new ServerError(Status.INVALID_ARGUMENT, 'id is required');
      const found = await read(request.id);
      if (!found) throw new ServerError(Status.NOT_FOUND, `no order "${request.id}"`);
      return { order: toProtoOrder(found.order) };
    },

    async *watchOrder(request, context) {
      if (!request.id) throw new ServerError(Status.INVALID_ARGUMENT, 'id is required');
      const found = await read(request.id);
      if (!found) throw new ServerError(Status.NOT_FOUND, `no order "${request.id}"`);
      yield { order: toProtoOrder(found.order) };
      if (found.order.status !== 'pending') return;
      const updates: StoredOrder[] = [];
      let wake: (() => void) | undefined;
      const watch = await store.watch(
        { key: shopKeys.order(request.id), fromRevision: found.kv.modRevision + 1 },
        {
          onEvents(batch) {
            for (const event of batch.events) if (event.type === 'put') updates.push(JSON.parse(event.kv.value));
            wake?.();
          },
        },
      );
      const onAbort = () => wake?.();
      context.signal.addEventListener('abort', onAbort);
      try {
        while (!context.signal.aborted) {
          const next = updates.shift();
          if (!next) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          yield { order: toProtoOrder(next) };
          if (next.status !== 'pending') return;
        }
      } finally {
        context.signal.removeEventListener('abort', onAbort);
        await watch.close();
      }
    },
  };
}
