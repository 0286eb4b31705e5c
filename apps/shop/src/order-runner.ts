import type { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import { ClientError, Status, type Client } from 'nice-grpc';
import { sleep } from './sleep.js';
import { orderStateOf } from './stored-order.js';

export type OrderAttempt =
  | { readonly kind: 'confirmed'; readonly orderId: string; readonly latencyMs: number }
  | { readonly kind: 'failed'; readonly orderId: string; readonly reason: string; readonly latencyMs: number }
  | { readonly kind: 'error'; readonly code: Status; readonly message: string; readonly latencyMs: number };

/** Codes after which the same request (same idempotency key) may succeed. */
const TRANSIENT = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.INTERNAL]);

/**
 * Places one order as a careful client does: on a transient error it sends the same request with
 * the same idempotency key again (up to `attempts` times), so a retry resumes the order rather
 * than creating a second one.
 */
export async function placeOrderResiliently(
  orders: Client<typeof OrderServiceDefinition>,
  request: { idempotencyKey: string; customerId: string; lines: { sku: string; quantity: number }[] },
  options: { attempts?: number; pauseMs?: number; signal?: AbortSignal } = {},
): Promise<OrderAttempt> {
  const started = performance.now();
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      const { order } = await orders.placeOrder(request, { signal: options.signal });
      const latencyMs = performance.now() - started;
      const state = order ? orderStateOf(order.status) : 'unknown';
      if (state === 'confirmed') return { kind: 'confirmed', orderId: order!.id, latencyMs };
      if (state === 'failed') return { kind: 'failed', orderId: order!.id, reason: order!.failureReason, latencyMs };
      throw new ClientError('/shop.v1.OrderService/PlaceOrder', Status.UNAVAILABLE, `order is ${state}`);
    } catch (error) {
      const code = error instanceof ClientError ? error.code : Status.UNKNOWN;
      if (attempt >= attempts || !TRANSIENT.has(code) || options.signal?.aborted) {
        const message = error instanceof Error ? error.message : String(error);
        return { kind: 'error', code, message, latencyMs: performance.now() - started };
      }
      await sleep(options.pauseMs ?? 300 * attempt, options.signal).catch(() => undefined);
    }
  }
}
