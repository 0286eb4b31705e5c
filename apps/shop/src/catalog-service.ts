import { ServerError, Status, type ServiceImplementation } from 'nice-grpc';
import type { CatalogServiceDefinition, Product } from '@ballast/stubs/shop/v1/catalog';

/** The demo catalog: small and fixed, so every replica serves the same products without shared state. */
export const PRODUCTS: readonly Product[] = Object.freeze([
  { sku: 'ANCHOR-01', name: 'Anchor', description: 'Holds a ship in place', priceCents: 12_900, category: 'hardware' },
  { sku: 'BUOY-02', name: 'Buoy', description: 'Marks a channel', priceCents: 4_500, category: 'hardware' },
  { sku: 'ROPE-03', name: 'Rope, 20 m', description: 'Braided nylon', priceCents: 2_400, category: 'rigging' },
  { sku: 'SAIL-04', name: 'Sail', description: 'Dacron mainsail', priceCents: 58_000, category: 'rigging' },
  { sku: 'COMPASS-05', name: 'Compass', description: 'Liquid-damped', priceCents: 8_900, category: 'navigation' },
  { sku: 'CHART-06', name: 'Chart', description: 'Coastal chart', priceCents: 1_900, category: 'navigation' },
]);

const bySku = new Map(PRODUCTS.map((p) => [p.sku, p]));

/** CatalogService: reads only, so any replica answers any call and retries/hedges are free. */
export function createCatalogService(): ServiceImplementation<typeof CatalogServiceDefinition> {
  return {
    async getProduct(request) {
      if (!request.sku) throw new ServerError(Status.INVALID_ARGUMENT, 'sku is required');
      const product = bySku.get(request.sku);
      if (!product) throw new ServerError(Status.NOT_FOUND, `no product with sku "${request.sku}"`);
      return { product };
    },
    async *listProducts(request) {
      for (const product of PRODUCTS) {
        if (!request.category || product.category === request.category) yield { product };
      }
    },
  };
}
