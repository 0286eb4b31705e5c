import type { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import type { Client } from 'nice-grpc';
import { placeOrderResiliently, type OrderAttempt } from './order-runner.js';
import type { OrderRequest } from './order-workload.js';

export interface RunResult {
  readonly attempts: readonly { readonly request: OrderRequest; readonly outcome: OrderAttempt }[];
  readonly confirmed: number;
  readonly failed: number;
  readonly errors: number;
}

/** Places `requests` with `concurrency` clients in parallel; `onPlaced(n)` after each (chaos hooks). */
export async function runOrders(
  orders: Client<typeof OrderServiceDefinition>,
  requests: readonly OrderRequest[],
  options: { concurrency: number; attempts?: number; signal?: AbortSignal; onPlaced?: (n: number) => void },
): Promise<RunResult> {
  const attempts: { request: OrderRequest; outcome: OrderAttempt }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length && !options.signal?.aborted) {
      const request = requests[next++]!;
      const outcome = await placeOrderResiliently(orders, request, {
        attempts: options.attempts,
        signal: options.signal,
      });
      attempts.push({ request, outcome });
      options.onPlaced?.(attempts.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const count = (kind: OrderAttempt['kind']) => attempts.filter((a) => a.outcome.kind === kind).length;
  return { attempts, confirmed: count('confirmed'), failed: count('failed'), errors: count('error') };
}
