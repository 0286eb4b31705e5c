import type { KvStore } from '@ballast/config';
import type { Logger } from '@ballast/core';
import { connect, disconnect, type ConnectOptions } from '@ballast/rpc';
import { CatalogServiceDefinition } from '@ballast/stubs/shop/v1/catalog';
import { InventoryServiceDefinition } from '@ballast/stubs/shop/v1/inventory';
import { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import { PaymentServiceDefinition } from '@ballast/stubs/shop/v1/payments';
import type { Client } from 'nice-grpc';

export type ShopServiceName = 'catalog' | 'inventory' | 'orders' | 'payments';
export const SHOP_SERVICES: readonly ShopServiceName[] = ['catalog', 'inventory', 'orders', 'payments'];

export interface ShopClients {
  catalog: Client<typeof CatalogServiceDefinition>;
  inventory: Client<typeof InventoryServiceDefinition>;
  orders: Client<typeof OrderServiceDefinition>;
  payments: Client<typeof PaymentServiceDefinition>;
  close(): Promise<void>;
}

/**
 * Clients for the shop services, found in the registry of `store` (etcd or in-process). Each is a
 * full Ballast client: health-checked, outlier-ejecting, retrying within a budget, breaker-guarded.
 */
export function connectShop(
  store: KvStore,
  options: { logger?: Logger; deadlineMs?: number; orderDeadlineMs?: number } = {},
): ShopClients {
  const base: ConnectOptions = {
    store,
    logger: options.logger,
    deadlineMs: options.deadlineMs ?? 3000,
    // Fast health checks so a killed or frozen replica leaves rotation within a couple of seconds.
    healthCheck: { intervalMs: 500 },
  };
  const catalog = connect(CatalogServiceDefinition, {
    ...base,
    discover: 'catalog',
    hedging: { delayMs: 50 },
    methods: { getProduct: { hedge: true } },
  });
  const inventory = connect(InventoryServiceDefinition, { ...base, discover: 'inventory' });
  const payments = connect(PaymentServiceDefinition, { ...base, discover: 'payments' });
  const orders = connect(OrderServiceDefinition, {
    ...base,
    discover: 'orders',
    methods: { placeOrder: { deadlineMs: options.orderDeadlineMs ?? 10_000, maxRetries: 4 } },
  });
  return {
    catalog,
    inventory,
    orders,
    payments,
    async close() {
      await Promise.all([catalog, inventory, orders, payments].map((client) => disconnect(client)));
    },
  };
}
