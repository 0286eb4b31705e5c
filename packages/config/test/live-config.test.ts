import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { ConfigChange, ConfigRejection } from '../src/config-value.js';
import { ConflictError, InvalidValueError } from '../src/errors.js';
import type { KvStore } from '../src/kv-store.js';
import { LiveConfig } from '../src/live-config.js';
import { captureLogger } from './capture-logger.js';
import { STORES } from './stores.js';

const Limits = z.object({ maxConnections: z.number().int().positive(), mode: z.enum(['fast', 'safe']) });
type Limits = z.infer<typeof Limits>;
const DEFAULT: Limits = { maxConnections: 10, mode: 'safe' };

for (const { name, open } of STORES) {
  describe(`LiveConfig on ${name}`, () => {
    let store: KvStore;
    let key: string;
    const closers: (() => Promise<void>)[] = [];

    beforeEach(async () => {
      store = await open();
      key = `/ballast/config/test/${randomUUID()}`;
    });
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      await store.close();
    });

    it('starts at the default, applies valid writes, and never applies invalid ones', async () => {
      const registry = new Registry();
      const { logger, lines } = captureLogger();
      const config = new LiveConfig(store, { registry, logger });
      const limits = await config.watch(key, Limits, { default: DEFAULT });
      closers.push(() => limits.close());
      const changes: ConfigChange<Limits>[] = [];
      const rejections: ConfigRejection[] = [];
      limits.onChange((c) => changes.push(c));
      limits.onReject((r) => rejections.push(r));
      expect(limits.value).toEqual(DEFAULT);

      await config.set(key, Limits, { maxConnections: 50, mode: 'fast' }, 0);
      await vi.waitFor(() => expect(limits.value).toEqual({ maxConnections: 50, mode: 'fast' }), { timeout: 10_000 });

      await store.put(key, '{"maxConnections": 5,');
      await store.put(key, JSON.stringify({ maxConnections: -3, mode: 'fast' }));
      await vi.waitFor(() => expect(rejections).toHaveLength(2), { timeout: 10_000 });
      expect(rejections.map((r) => r.field)).toEqual(['(json)', 'maxConnections']);
      expect(limits.value).toEqual({ maxConnections: 50, mode: 'fast' });
      expect(changes).toHaveLength(1);

      const metric = await registry.getSingleMetric('ballast_config_rejected_total')!.get();
      expect(metric.values.find((v) => v.labels.key === key)?.value).toBe(2);
      const warned = lines.filter((l) => l.level === 40 && l.key === key);
      expect(warned.map((l) => l.field)).toEqual(['(json)', 'maxConnections']);
      expect(String(warned[1]!.msg)).toContain('field "maxConnections"');
    });

    it('a deleted key falls back to the default', async () => {
      const config = new LiveConfig(store, { registry: new Registry() });
      await config.set(key, Limits, { maxConnections: 7, mode: 'fast' }, 0);
      const limits = await config.watch(key, Limits, { default: DEFAULT });
      closers.push(() => limits.close());
      expect(limits.value.maxConnections).toBe(7);
      await store.delete(key);
      await vi.waitFor(() => expect(limits.value).toEqual(DEFAULT), { timeout: 10_000 });
      expect(limits.revision).toBe(0);
    });

    it('writes are compare-and-swap: a stale editor gets ConflictError, update() retries', async () => {
      const config = new LiveConfig(store, { registry: new Registry() });
      const first = await config.set(key, Limits, DEFAULT, 0);
      await config.set(key, Limits, { ...DEFAULT, maxConnections: 11 }, first);
      await expect(config.set(key, Limits, { ...DEFAULT, maxConnections: 12 }, first)).rejects.toBeInstanceOf(
        ConflictError,
      );
      const bump = () =>
        config.update(key, Limits, (current) => ({
          ...(current ?? DEFAULT),
          maxConnections: (current?.maxConnections ?? 0) + 1,
        }));
      await Promise.all([bump(), bump(), bump()]);
      expect((await config.get(key, Limits))?.value.maxConnections).toBe(14);
    });

    it('validates before writing: an invalid value is never stored', async () => {
      const config = new LiveConfig(store, { registry: new Registry() });
      const bad = { maxConnections: 0, mode: 'fast' } as Limits;
      await expect(config.set(key, Limits, bad, 0)).rejects.toThrow(InvalidValueError);
      await expect(config.set(key, Limits, bad, 0)).rejects.toThrow(/field "maxConnections"/);
      expect((await store.get(key)).kv).toBeUndefined();
    });
  });
}
