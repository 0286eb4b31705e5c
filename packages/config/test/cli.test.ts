import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliIo } from '../src/cli.js';
import { EtcdStore } from '../src/etcd-store.js';
import { etcdEndpoints } from './etcd-endpoints.js';

const schema = `${fileURLToPath(new URL('./fixtures/limits-schema.mjs', import.meta.url))}#Limits`;

function io(extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, ...extra } };
}

describe('ballast-config CLI against etcd', () => {
  let store: EtcdStore;
  let key: string;
  let endpoints: string;
  beforeEach(async () => {
    store = await EtcdStore.connect({ endpoints: etcdEndpoints() });
    key = `/cli-test/${randomUUID()}`;
    endpoints = etcdEndpoints().join(',');
  });
  afterEach(async () => {
    await store.close();
  });

  it('set validates against the schema before writing, then get prints the value', async () => {
    const bad = io();
    expect(
      await runCli(['set', key, '{"maxConnections": -1}', '--schema', schema, '--endpoints', endpoints], bad.io),
    ).toBe(2);
    expect(bad.err[0]).toMatch(/field "maxConnections"/);
    expect((await store.get(key)).kv).toBeUndefined();

    const good = io();
    expect(
      await runCli(['set', key, '{"maxConnections": 8}', '--schema', schema, '--endpoints', endpoints], good.io),
    ).toBe(0);
    expect(good.out[0]).toMatch(/^ok revision \d+$/);

    const read = io({ env: { ETCD_ENDPOINTS: endpoints } });
    expect(await runCli(['get', key], read.io)).toBe(0);
    expect(read.out).toEqual(['{"maxConnections": 8}']);
  });

  it('set with a stale --expect-revision is refused', async () => {
    const { revision } = await store.put(key, '1');
    await store.put(key, '2');
    const stale = io();
    expect(
      await runCli(['set', key, '3', '--expect-revision', String(revision), '--endpoints', endpoints], stale.io),
    ).toBe(1);
    expect(stale.err[0]).toMatch(/changed since revision/);
    expect((await store.get(key)).kv?.value).toBe('2');
  });

  it('watch prints each change until stopped', async () => {
    const controller = new AbortController();
    const watching = io({ signal: controller.signal });
    const done = runCli(['watch', key, '--endpoints', endpoints], watching.io);
    await vi.waitFor(() => expect(watching.err).toContain(`watching ${key}`), { timeout: 10_000 });
    await store.put(key, '"a"');
    await store.delete(key);
    await vi.waitFor(() => expect(watching.out).toHaveLength(2), { timeout: 10_000 });
    expect(watching.out[0]).toMatch(new RegExp(`^\\d+ put ${key} "a"$`));
    expect(watching.out[1]).toMatch(new RegExp(`^\\d+ delete ${key}$`));
    controller.abort();
    expect(await done).toBe(0);
  });
});

describe('ballast-config CLI argument errors', () => {
  it.each([
    [[], /unknown command ""/],
    [['put', 'k'], /unknown command "put"/],
    [['get'], /get needs a KEY/],
    [['set', 'k'], /set needs exactly KEY and one JSON VALUE/],
    [['set', 'k', '{oops', '--endpoints', 'http://127.0.0.1:1'], /field "\(json\)" not valid JSON/],
    [['set', 'k', '1', '--expect-revision', 'x', '--endpoints', 'http://127.0.0.1:1'], /--expect-revision "x"/],
    [['get', 'k'], /no etcd endpoints/],
    [['get', 'k', '--bogus'], /Unknown option '--bogus'/],
    [['set', 'k', '1', '--schema', '/nonexistent.mjs#X', '--endpoints', 'http://127.0.0.1:1'], /cannot load/],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const run = io();
    expect(await runCli(argv as string[], run.io)).toBe(2);
    expect(run.err[0]).toMatch(message);
  });

  it('an unreachable cluster is a clear error after the startup timeout, not a hang', async () => {
    const run = io();
    expect(await runCli(['get', 'k', '--endpoints', 'http://127.0.0.1:1', '--timeout-ms', '600'], run.io)).toBe(1);
    expect(run.err[0]).toMatch(/STORE_UNAVAILABLE: no etcd member answered at http:\/\/127.0.0.1:1/);
  });
});
