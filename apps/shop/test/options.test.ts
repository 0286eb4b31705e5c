import { MemoryStore } from '@ballast/config';
import { describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { ShopOptionsError } from '../src/errors.js';
import { startGateway } from '../src/gateway.js';
import { startReplica } from '../src/replica.js';
import type { ShopCluster } from '../src/shop-cluster.js';

describe('options are checked before anything starts', () => {
  it.each([
    ['startGateway', () => startGateway({ cluster: {} as ShopCluster, port: 70_000 }), 'port'],
    ['startGateway', () => startGateway({ cluster: {} as ShopCluster, snapshotIntervalMs: 0 }), 'snapshotIntervalMs'],
    ['startReplica', () => startReplica({ service: 'orders', name: 'Orders 1', store: new MemoryStore() }), 'name'],
    [
      'startReplica',
      () => startReplica({ service: 'shipping' as 'orders', name: 'shipping-1', store: new MemoryStore() }),
      'service',
    ],
    ['startEmbeddedCluster', () => startEmbeddedCluster({ restartDelayMs: -1 }), 'restartDelayMs'],
    [
      'startEmbeddedCluster',
      () => startEmbeddedCluster({ layout: { catalog: 0, inventory: 1, orders: 1, payments: 1 } }),
      'layout.catalog',
    ],
  ])('%s rejects a bad %s', async (owner, start, field) => {
    const error = await start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShopOptionsError);
    expect(error).toMatchObject({ code: 'SHOP_INVALID_OPTION', owner, field });
    expect((error as Error).message).toContain(`"${field}"`);
    // What the field accepts, in words derived from its schema.
    expect((error as Error).message).toMatch(/: allowed values are \S/);
  });
});
