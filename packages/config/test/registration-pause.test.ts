import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EtcdStore } from '../src/etcd-store.js';
import { etcdEndpoints } from './etcd-endpoints.js';

const script = fileURLToPath(new URL('./fixtures/registrant.ts', import.meta.url));

describe('a registered process paused past its lease TTL', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('disappears from the registry while frozen and re-registers on a new lease when it wakes', async () => {
    const root = `/pause/${randomUUID()}/`;
    const key = `${root}paused/p1`;
    const store = await EtcdStore.connect({ endpoints: etcdEndpoints() });
    cleanups.push(() => store.close());
    const child = spawn(
      process.execPath,
      ['--conditions=@ballast/source', '--import', 'tsx', script, etcdEndpoints().join(','), root, 'p1', '2'],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BALLAST_LOG_LEVEL: 'error' } },
    );
    cleanups.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    });
    const lines: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    await vi.waitFor(() => expect(lines).toContain('ready'), { timeout: 20_000, interval: 50 });
    const before = (await store.get(key)).kv;
    expect(before?.lease).toBeDefined();

    child.kill('SIGSTOP');
    await vi.waitFor(async () => expect((await store.get(key)).kv).toBeUndefined(), { timeout: 15_000, interval: 100 });
    child.kill('SIGCONT');

    await vi.waitFor(async () => expect((await store.get(key)).kv?.lease).toBeDefined(), {
      timeout: 15_000,
      interval: 100,
    });
    expect((await store.get(key)).kv!.lease).not.toBe(before!.lease);
    await vi.waitFor(() => expect(lines.slice(lines.indexOf('ready'))).toEqual(['ready', 'lost', 'registered']), {
      timeout: 10_000,
    });
  });
});
