import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository this package lives in: tools/generators/test → ../../.. */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs a command to completion and captures stdout and stderr together. The parent's Nx and vitest
 * variables are dropped, so a nested `nx` or `vitest` works on the directory it is started in.
 */
export function run(command: string, args: string[], cwd: string, signal?: AbortSignal): Promise<RunResult> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(NX_|VITEST|NODE_OPTIONS$|npm_)/.test(key)),
  );
  Object.assign(env, {
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_SKIP_NX_CACHE: 'true',
    CI: 'true',
    FORCE_COLOR: '0',
  });
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf-8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf-8')));
    child.once('error', reject);
    // eslint-disable-next-line no-control-regex -- colour codes some tools print even without a TTY
    child.once('close', (code) => resolve({ code, output: output.replace(/\u001b\[[0-9;]*m/g, '') }));
  });
}
