import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (deploy/, the build context). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * podman's settings for this project, kept in the repository: the runc runtime and ulimits below the
 * host's hard limits (deploy/podman/containers.conf). Nothing in /etc is changed.
 */
export const CONTAINERS_CONF = join(REPO_ROOT, 'deploy/podman/containers.conf');

export class DeployLocalError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'DeployLocalError';
    this.code = code;
  }
}

export function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface RunOptions {
  /** Written to the command's standard input. */
  readonly input?: NodeJS.ReadableStream | string;
  /** Where progress goes (the build's output); nothing when absent. */
  readonly log?: (chunk: string) => void;
  /** Exit codes that are not failures (e.g. 1 for "image exists?"). */
  readonly okCodes?: readonly number[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to its end; throws DeployLocalError with its output's tail when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, CONTAINERS_CONF, ...options.env },
    });
    let stdout = '';
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      options.log?.(chunk.toString());
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      keep(chunk);
    });
    child.stderr.on('data', keep);
    child.on('error', (error) =>
      reject(new DeployLocalError('COMMAND_FAILED', `${command} could not start: ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0 || options.okCodes?.includes(code ?? -1)) return resolve({ code: code ?? 0, stdout });
      reject(new DeployLocalError('COMMAND_FAILED', `"${command} ${args.join(' ')}" exited ${code}:\n${tail.trim()}`));
    });
    if (typeof options.input === 'string') child.stdin.end(options.input);
    else if (options.input) options.input.pipe(child.stdin);
    else child.stdin.end();
  });
}

export const podman = (args: readonly string[], options?: RunOptions) => run('podman', args, options);

/** Fails with what to do when podman is not installed. */
export function requirePodman(): void {
  if (!onPath('podman'))
    throw new DeployLocalError(
      'PODMAN_MISSING',
      'podman is not installed: run `npm run setup` (it installs podman, runc, catatonit and debootstrap from Debian)',
    );
}
