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

    it('rejects unknown keys, naming them, even when every field has a default, and keeps the last good value', async () => {
      const Fault = z.object({
        latencyMs: z.number().int().nonnegative().default(0),
        failureRate: z.number().min(0).max(1).default(0),
      });
      const registry = new Registry();
      const { logger, lines } = captureLogger();
      const config = new LiveConfig(store, { registry, logger });
      await config.set(key, Fault, { latencyMs: 100, failureRate: 0.1 }, 0);
      const fault = await config.watch(key, Fault, { default: { latencyMs: 0, failureRate: 0 } });
      closers.push(() => fault.close());
      const rejections: ConfigRejection[] = [];
      fault.onReject((r) => rejections.push(r));

      await store.put(key, JSON.stringify({ latencyMS: 400, failurerate: 0.5 }));
      await store.put(key, JSON.stringify({ latencyMs: 5, nested: { deeper: 1 } }));
      await vi.waitFor(() => expect(rejections).toHaveLength(2), { timeout: 10_000 });
      expect(rejections.map((r) => r.field)).toEqual(['latencyMS', 'nested']);
      expect(rejections[0]!.reason).toMatch(/unknown key/);
      expect(fault.value).toEqual({ latencyMs: 100, failureRate: 0.1 });
      const warned = lines.filter((l) => l.level === 40 && l.key === key);
      expect(String(warned[0]!.msg)).toContain('field "latencyMS"');
      const metric = await registry.getSingleMetric('ballast_config_rejected_total')!.get();
      expect(metric.values.find((v) => v.labels.key === key)?.value).toBe(2);

      const Nested = z.object({ limits: z.array(z.object({ max: z.number() })) });
      await expect(
        config.set(`${key}/nested`, Nested, { limits: [{ max: 1 }, { max: 2, mx: 3 }] } as z.infer<typeof Nested>, 0),
      ).rejects.toThrow(/field "limits\.1\.mx": unknown key/);
      await expect(config.get(key, Fault)).rejects.toThrow(/field "nested"/);
      // A schema that says it keeps extra keys is honoured.
      const Open = z.looseObject({ a: z.number() });
      await config.set(`${key}/open`, Open, { a: 1, extra: true }, 0);
      expect((await config.get(`${key}/open`, Open))?.value).toEqual({ a: 1, extra: true });
    });

    it('refuses values over the size limit (64 KiB by default, configurable) and keeps the last good value', async () => {
      const Padded = z.object({ mode: z.string(), padding: z.string().optional() });
      const registry = new Registry();
      const { logger, lines } = captureLogger();
      const config = new LiveConfig(store, { registry, logger });
      await config.set(key, Padded, { mode: 'safe' }, 0);
      const value = await config.watch(key, Padded, { default: { mode: 'default' } });
      closers.push(() => value.close());
      const rejections: ConfigRejection[] = [];
      value.onReject((r) => rejections.push(r));

      const big = JSON.stringify({ mode: 'fast', padding: 'x'.repeat(1024 * 1024) });
      await store.put(key, big);
      await vi.waitFor(() => expect(rejections).toHaveLength(1), { timeout: 10_000 });
      expect(rejections[0]).toMatchObject({ field: '(size)' });
      expect(rejections[0]!.reason).toMatch(/over the 65536-byte limit/);
      expect(value.value).toEqual({ mode: 'safe' });
      expect(lines.some((l) => l.level === 40 && String(l.msg).includes('(size)'))).toBe(true);
      const metric = await registry.getSingleMetric('ballast_config_rejected_total')!.get();
      expect(metric.values.find((v) => v.labels.key === key)?.value).toBe(1);

      const justOver = { mode: 'fast', padding: 'x'.repeat(64 * 1024) };
      await expect(config.set(`${key}/w`, Padded, justOver, 0)).rejects.toThrow(/field "\(size\)"/);
      expect((await store.get(`${key}/w`)).kv).toBeUndefined();

      const small = new LiveConfig(store, { registry, maxValueBytes: 100 });
      await expect(small.set(`${key}/s`, Padded, { mode: 'x'.repeat(200) }, 0)).rejects.toThrow(/100-byte limit/);
      await small.set(`${key}/s`, Padded, { mode: 'ok' }, 0);
      expect(() => new LiveConfig(store, { maxValueBytes: 0 })).toThrow(/maxValueBytes/);
    });
  });
}
