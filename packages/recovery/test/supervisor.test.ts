import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualScheduler } from '@ballast/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startSupervisor, type ChildStateEvent, type Supervisor } from '../src/index.js';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.stop();
});

const node = process.execPath;

function supervise(script: string, restart: Parameters<typeof startSupervisor>[0]['restart'], graceMs = 5_000) {
  const supervisor = startSupervisor({
    children: [{ name: 'app', command: node, args: ['-e', script] }],
    restart,
    graceMs,
    stdio: 'ignore',
  });
  supervisors.push(supervisor);
  const events: ChildStateEvent[] = [];
  supervisor.onState((e) => events.push(e));
  return { supervisor, events };
}

const scratch = mkdtempSync(join(tmpdir(), 'ballast-supervisor-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let readyCount = 0;
const readyFile = () => join(scratch, `ready-${++readyCount}`);
/** Child code: after its handlers are installed, say so through a file, then stay alive. */
const signalReady = (file: string) =>
  `require('fs').writeFileSync(${JSON.stringify(file)}, 'ok'); setInterval(() => {}, 1000)`;

function runningPid(supervisor: Supervisor): number | undefined {
  const state = supervisor.states().app;
  return state?.type === 'running' ? state.pid : undefined;
}

describe('supervisor (real child processes)', () => {
  it('waits its restart backoff on the injected scheduler, not on the wall clock', async () => {
    const scheduler = new VirtualScheduler();
    const supervisor = startSupervisor({
      children: [{ name: 'app', command: node, args: ['-e', 'setInterval(() => {}, 1000)'] }],
      restart: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      stdio: 'ignore',
      scheduler,
    });
    supervisors.push(supervisor);
    await vi.waitFor(() => expect(runningPid(supervisor)).toBeDefined(), { timeout: 10_000, interval: 20 });
    const first = runningPid(supervisor)!;
    process.kill(first, 'SIGKILL');
    await vi.waitFor(() => expect(supervisor.states().app?.type).toBe('backoff'), { timeout: 10_000, interval: 20 });
    expect(scheduler.pending).toBe(1);
    scheduler.advance(59_999);
    expect(supervisor.states().app?.type).toBe('backoff');
    scheduler.advance(1);
    await vi.waitFor(() => expect(runningPid(supervisor) ?? first).not.toBe(first), { timeout: 10_000, interval: 20 });
    expect(supervisor.states().app).toMatchObject({ type: 'running', restarts: 1 });
  });

  it('restarts a SIGKILLed child after a backoff', async () => {
    const { supervisor, events } = supervise('setInterval(() => {}, 1000)', { baseDelayMs: 50 });
    await vi.waitFor(() => expect(runningPid(supervisor)).toBeDefined(), { timeout: 10_000, interval: 20 });
    const first = runningPid(supervisor)!;
    process.kill(first, 'SIGKILL');
    await vi.waitFor(
      () => {
        const pid = runningPid(supervisor);
        expect(pid).toBeDefined();
        expect(pid).not.toBe(first);
      },
      { timeout: 10_000, interval: 20 },
    );
    const backoff = events.find((e) => e.state.type === 'backoff');
    expect(backoff?.state).toMatchObject({ type: 'backoff', exit: { signal: 'SIGKILL' }, delayMs: 50 });
    expect(supervisor.states().app).toMatchObject({ type: 'running', restarts: 1 });
  });

  it('gives up on a crash loop and says so', async () => {
    const { supervisor, events } = supervise('process.exit(3)', { baseDelayMs: 10, maxRestarts: 2, windowMs: 60_000 });
    await supervisor.finished;
    const state = supervisor.states().app;
    expect(state).toMatchObject({ type: 'gave-up', restarts: 2, exit: { code: 3 } });
    expect(state?.type === 'gave-up' && state.reason).toMatch(/crash loop: 3 exits within 60000 ms/);
    expect(events.filter((e) => e.state.type === 'running')).toHaveLength(3);
  });

  it('stop() forwards SIGTERM for a graceful drain', async () => {
    const ready = readyFile();
    const script = `process.on('SIGTERM', () => setTimeout(() => process.exit(0), 50)); ${signalReady(ready)}`;
    const { supervisor } = supervise(script, {});
    await vi.waitFor(() => expect(existsSync(ready)).toBe(true), { timeout: 10_000, interval: 20 });
    await supervisor.stop();
    expect(supervisor.states().app).toMatchObject({ type: 'exited', exit: { code: 0, signal: null } });
  });

  it('a child that ignores SIGTERM is killed when the grace period ends', async () => {
    const ready = readyFile();
    const { supervisor } = supervise(`process.on('SIGTERM', () => {}); ${signalReady(ready)}`, {}, 300);
    await vi.waitFor(() => expect(existsSync(ready)).toBe(true), { timeout: 10_000, interval: 20 });
    await supervisor.stop();
    expect(supervisor.states().app).toMatchObject({ type: 'exited', exit: { signal: 'SIGKILL' } });
  });

  it('a command that cannot start is reported, not thrown', async () => {
    const supervisor = startSupervisor({
      children: [{ name: 'ghost', command: '/nonexistent/ballast-binary' }],
      stdio: 'ignore',
    });
    supervisors.push(supervisor);
    await supervisor.finished;
    expect(supervisor.states().ghost).toMatchObject({ type: 'gave-up' });
    expect(() => startSupervisor({ children: [] })).toThrow(/supervisor\.children/);
  });
});

describe('ballast-supervise CLI', () => {
  const bin = fileURLToPath(new URL('../bin/ballast-supervise.mjs', import.meta.url));

  it('exits 1 and says it gave up on a crash loop', async () => {
    const child = spawn(
      node,
      [bin, '--max-restarts', '1', '--base-delay-ms', '10', '--', node, '-e', 'process.exit(4)'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, BALLAST_LOG_LEVEL: 'silent' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toMatch(/gave up: .*crash loop: 2 exits/);
  });

  it('drains the child on SIGTERM and exits with its code', async () => {
    const script = "process.on('SIGTERM', () => process.exit(0)); console.log('up'); setInterval(() => {}, 1000)";
    const child = spawn(node, [bin, '--grace-ms', '5000', '--', node, '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BALLAST_LOG_LEVEL: 'silent' },
    });
    try {
      await vi.waitFor(() => expect(child.stdout.read()?.toString()).toMatch(/up/), { timeout: 20_000, interval: 50 });
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
