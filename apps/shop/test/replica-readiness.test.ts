import { LiveConfig, MemoryStore } from '@ballast/config';
import { parseHealthProbeArgs, probeHealth, READINESS_SERVICE } from '@ballast/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../src/replica.js';
import { replicaFaultsSchema } from '../src/shop-config.js';
import { shopKeys } from '../src/shop-keys.js';

let replica: Replica | undefined;
afterEach(async () => {
  await replica?.close();
  replica = undefined;
});

describe('a replica\'s "unready" fault', () => {
  it('turns its readiness NOT_SERVING while it stays live, and back', async () => {
    const store = new MemoryStore();
    replica = await startReplica({ service: 'catalog', name: 'catalog-7', store, metricsPort: false });
    const readiness = async () =>
      (await probeHealth(parseHealthProbeArgs(['-addr', replica!.handle.address, '-service', READINESS_SERVICE])))
        .exitCode;
    expect(await readiness()).toBe(0);

    const live = new LiveConfig(store);
    const set = (unready: boolean) =>
      live.update(shopKeys.replicaFaults('catalog-7'), replicaFaultsSchema, (current) => ({
        delayMs: current?.delayMs ?? 0,
        unready,
      }));
    await set(true);
    await expect.poll(readiness, { timeout: 5000 }).toBe(4);
    expect(replica.handle.health.readiness()).toEqual({
      type: 'not-ready',
      draining: false,
      dependenciesDown: ['injected-fault'],
    });
    const liveness = await probeHealth(parseHealthProbeArgs(['-addr', replica.handle.address, '-service', 'liveness']));
    expect(liveness.exitCode).toBe(0);

    await set(false);
    await expect.poll(readiness, { timeout: 5000 }).toBe(0);
  });
});
