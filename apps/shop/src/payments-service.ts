import type { ConfigValue, KvStore } from '@ballast/config';
import type { Logger, Random } from '@ballast/core';
import type { Payment, PaymentServiceDefinition } from '@ballast/stubs/shop/v1/payments';
import { ServerError, Status, type ServiceImplementation } from 'nice-grpc';
import { z } from 'zod';
import type { PaymentsConfig } from './shop-config.js';
import { delay } from 'abort-controller-x';
import { shopKeys } from './shop-keys.js';

const chargeSchema = z.object({
  paymentId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, '1–128 of letters, digits, . _ : -'),
  customerId: z.string().min(1, 'customer_id is required').max(128),
  amountCents: z.number().int().min(1).max(100_000_000),
});

export interface PaymentsServiceOptions {
  store: KvStore;
  /** Latency, failure and decline rates, live: a change applies to the next Charge. */
  config: ConfigValue<PaymentsConfig> | { readonly value: PaymentsConfig };
  random?: Random;
  logger?: Logger;
}

/**
 * PaymentService: a simulated processor. A Charge's outcome (captured or declined) is recorded
 * once per payment_id with a create-if-absent transaction, so a retried or hedged Charge returns
 * the first outcome and never takes money twice. Simulated outages (failureRate) record nothing.
 */
export function createPaymentsService(
  options: PaymentsServiceOptions,
): ServiceImplementation<typeof PaymentServiceDefinition> {
  const { store, config, logger } = options;
  const random = options.random ?? Math.random;
  return {
    async charge(request, context) {
      const parsed = chargeSchema.safeParse(request);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ServerError(Status.INVALID_ARGUMENT, `${issue.path.join('.')}: ${issue.message}`);
      }
      const { paymentId, customerId, amountCents } = parsed.data;
      const settings = config.value;
      if (settings.latencyMs > 0) await delay(context.signal, settings.latencyMs);
      if (random() < settings.failureRate) {
        throw new ServerError(Status.UNAVAILABLE, 'payment processor unavailable (simulated outage): retry');
      }
      const key = shopKeys.payment(paymentId);
      const payment: Payment = { id: paymentId, customerId, amountCents, captured: random() >= settings.declineRate };
      const result = await store.txn({
        compare: [{ key, target: 'version', op: '==', value: 0 }],
        success: [{ type: 'put', key, value: JSON.stringify(payment) }],
        failure: [{ type: 'get', key }],
      });
      if (result.succeeded) {
        logger?.info({ paymentId, amountCents, captured: payment.captured }, 'payment recorded');
        return { payment };
      }
      const first = result.results[0];
      const stored = first?.type === 'get' && first.kv ? (JSON.parse(first.kv.value) as Payment) : undefined;
      if (!stored) throw new ServerError(Status.UNAVAILABLE, `payment "${paymentId}" changed while charging: retry`);
      if (stored.amountCents !== amountCents || stored.customerId !== customerId) {
        throw new ServerError(
          Status.FAILED_PRECONDITION,
          `payment_id "${paymentId}" was used for another charge (${stored.amountCents} cents): use a new id`,
        );
      }
      return { payment: stored };
    },

    async getPayment(request) {
      if (!request.id) throw new ServerError(Status.INVALID_ARGUMENT, 'id is required');
      const { kv } = await store.get(shopKeys.payment(request.id));
      if (!kv) throw new ServerError(Status.NOT_FOUND, `no payment "${request.id}"`);
      return { payment: JSON.parse(kv.value) as Payment };
    },
  };
}
