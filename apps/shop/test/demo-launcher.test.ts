import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DashboardState } from '../src/dashboard-state.js';

const MAIN = fileURLToPath(new URL('../src/demo-main.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

/** The launcher in its own process group, as a terminal runs it: Ctrl-C is SIGINT to the group. */
function launch(env: NodeJS.ProcessEnv = {}): {
  child: ChildProcess;
  lines: string[];
  url: Promise<string>;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, ['--conditions=@ballast/source', '--import', TSX, MAIN, '--port', '0'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BALLAST_LOG_LEVEL: 'error', ...env },
  });
  const lines: string[] = [];
  const output = createInterface({ input: child.stdout! });
  const url = new Promise<string>((resolve, reject) => {
    output.on('line', (line) => {
      lines.push(line);
      const match = /shop dashboard: (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the launcher exited (${code}) before printing the URL`)));
  });
  const ready = new Promise<void>((resolve, reject) => {
    output.on('line', (line) => /^ready: every replica serving/.test(line) && resolve());
    child.once('exit', (code) => reject(new Error(`the launcher exited (${code}) before saying it is ready`)));
  });
  ready.catch(() => undefined);
  return { child, lines, url, ready };
}

function groupMembers(pgid: number): string[] {
  const ps = spawnSync('ps', ['-o', 'pid=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.trim());
}

describe('npm run demo', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    // Whatever a failed test left: the whole group.
    if (child?.pid && groupMembers(child.pid).length > 0) process.kill(-child.pid, 'SIGKILL');
  });

  it('starts etcd and a supervised process per replica, prints the URL within 30 s; Ctrl-C leaves no process', async () => {
    const started = performance.now();
    const run = launch();
    child = run.child;
    const url = await run.url;
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(run.lines.join('\n')).toMatch(/3-member etcd cluster/);
    // "ready" is said once the shop answers: no 503 behind it while the replicas start.
    await run.ready;
    expect((await fetch(new URL('api/products', url))).status).toBe(200);
    expect(((await (await fetch(new URL('api/state', url))).json()) as DashboardState).startup.ready).toBe(true);

    await vi.waitFor(
      async () => {
        const state = (await (await fetch(new URL('api/state', url))).json()) as DashboardState;
        expect(state.mode).toBe('etcd');
        expect(state.etcd!.filter((m) => m.leader)).toHaveLength(1);
        expect(state.replicas.map((r) => r.state)).toEqual(Array(8).fill('serving'));
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(groupMembers(child.pid!).length).toBeGreaterThanOrEqual(1 + 3 + 8);

    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGINT');
    expect((await exited)[0]).toBe(0);
    await vi.waitFor(() => expect(groupMembers(child!.pid!)).toEqual([]), { timeout: 15_000, interval: 100 });
  }, 120_000);

  it('without etcd says so in one line with the install command and runs embedded', async () => {
    const run = launch({ ETCD_BIN: '/nonexistent/etcd', ETCD_ENDPOINTS: '' });
    child = run.child;
    const url = await run.url;
    expect(run.lines.filter((l) => /etcd not found/.test(l))).toHaveLength(1);
    expect(run.lines.join('\n')).toMatch(/apt-get install -y etcd-server/);
    await run.ready;
    expect((await fetch(new URL('api/products', url))).status).toBe(200);
    await vi.waitFor(
      async () => {
        const state = (await (await fetch(new URL('api/state', url))).json()) as DashboardState;
        expect(state).toMatchObject({ mode: 'embedded', etcd: null });
        expect(state.replicas.filter((r) => r.state === 'serving')).toHaveLength(8);
      },
      { timeout: 30_000, interval: 250 },
    );
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGINT');
    expect((await exited)[0]).toBe(0);
    await vi.waitFor(() => expect(groupMembers(child!.pid!)).toEqual([]), { timeout: 15_000, interval: 100 });
  }, 90_000);
});
