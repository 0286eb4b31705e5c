/** Where the shop keeps its state in the KvStore; every replica of every service agrees on these. */
export const shopKeys = {
  stock: (sku: string) => `shop/stock/${sku}`,
  stockPrefix: 'shop/stock/',
  initialStock: (sku: string) => `shop/initial-stock/${sku}`,
  initialStockPrefix: 'shop/initial-stock/',
  reservation: (id: string) => `shop/reservations/${id}`,
  order: (id: string) => `shop/orders/${id}`,
  ordersPrefix: 'shop/orders/',
  payment: (id: string) => `shop/payments/${id}`,
  paymentsPrefix: 'shop/payments/',
  paymentsConfig: 'shop/config/payments',
  replicaFaults: (replica: string) => `shop/config/faults/${replica}`,
} as const;
