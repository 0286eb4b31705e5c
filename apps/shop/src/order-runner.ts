import type { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ClientError, Status, type Client } from 'nice-grpc';
import { ORDER_SPAN } from './recent-orders.js';
import { delay } from 'abort-controller-x';
import { orderStateOf } from './stored-order.js';

export type OrderAttempt =
  | { readonly kind: 'confirmed'; readonly orderId: string; readonly latencyMs: number }
  | { readonly kind: 'failed'; readonly orderId: string; readonly reason: string; readonly latencyMs: number }
  | { readonly kind: 'error'; readonly code: Status; readonly message: string; readonly latencyMs: number };

/** Codes after which the same request (same idempotency key) may succeed. */
const TRANSIENT = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.INTERNAL]);

type OrderRequest = { idempotencyKey: string; customerId: string; lines: { sku: string; quantity: number }[] };
type OrderOptions = { attempts?: number; pauseMs?: number; signal?: AbortSignal };

/**
 * Places one order as a careful client does: on a transient error it sends the same request with
 * the same idempotency key again (up to `attempts` times), so a retry resumes the order rather
 * than creating a second one. The whole order is one `shop.order` span (when tracing is on).
 */
export function placeOrderResiliently(
  orders: Client<typeof OrderServiceDefinition>,
  request: OrderRequest,
  options: OrderOptions = {},
): Promise<OrderAttempt> {
  return inOrderSpan(request.idempotencyKey, async (span) => {
    const outcome = await placeOrder(orders, request, options);
    span.setAttribute('shop.order.outcome', outcome.kind);
    return outcome;
  });
}

/** Runs `place` in a `shop.order` span, the root of the order's trace. */
export function inOrderSpan<T>(idempotencyKey: string, place: (span: Span) => Promise<T>): Promise<T> {
  const attributes = { 'shop.order.idempotency_key': idempotencyKey };
  return trace.getTracer('@ballast/shop').startActiveSpan(ORDER_SPAN, { attributes }, async (span) => {
    try {
      return await place(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

async function placeOrder(
  orders: Client<typeof OrderServiceDefinition>,
  request: OrderRequest,
  options: OrderOptions,
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
      await delay(options.signal ?? new AbortController().signal, options.pauseMs ?? 300 * attempt).catch(
        () => undefined,
      );
    }
  }
}
