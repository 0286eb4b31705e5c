import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { HealthStatus } from 'nice-grpc-server-health';

/** One stdin line to a child replica; every field is optional. */
export interface ReplicaCommand {
  id?: number;
  delayMs?: number;
  failRate?: number;
  failCode?: number;
  health?: HealthStatus;
  /** Service the health status applies to; '' (overall) when absent. */
  service?: string;
}

export interface EchoReplica {
  replica: string;
  address: string;
  pid: number;
  child: ChildProcess;
  /** Sends a command and resolves when the replica has applied it. */
  send(command: Omit<ReplicaCommand, 'id'>): Promise<void>;
  /** SIGKILL: connections reset, nothing drains. */
  crash(): Promise<void>;
  /** SIGSTOP: sockets stay open, nothing answers. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** SIGTERM: the replica drains and exits; SIGKILL after `graceMs`. */
  drain(graceMs?: number): Promise<void>;
  /** Stops the replica whatever its state (idempotent). */
  stop(): Promise<void>;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<number | string | null>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function mainModule(): { execArgv: string[]; path: string } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const require = createRequire(import.meta.url);
    const tsx = require.resolve('tsx');
    return {
      execArgv: ['--conditions=@ballast/source', '--import', tsx],
      path: here.replace(/echo-replica\.ts$/, 'echo-replica-main.ts'),
    };
  }
  return { execArgv: [], path: here.replace(/echo-replica\.js$/, 'echo-replica-main.js') };
}

/**
 * Starts an EchoService replica as a child process, so a test can really kill, freeze or drain it.
 * Resolves once it listens; rejects if it exits first or takes longer than `startTimeoutMs`.
 */
export async function spawnEchoReplica(
  replica: string,
  options: { port?: number; startTimeoutMs?: number } = {},
): Promise<EchoReplica> {
  const main = mainModule();
  const child = spawn(process.execPath, [...main.execArgv, main.path, replica, String(options.port ?? 0)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  live.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => {
    live.delete(child);
    return (code ?? signal) as number | string | null;
  });
  const lines = createInterface({ input: child.stdout! });
  const acks = new Map<number, () => void>();
  let onReady: (address: string) => void = () => {};
  const ready = new Promise<string>((resolve) => (onReady = resolve));
  lines.on('line', (line) => {
    const message = JSON.parse(line) as { address?: string; ack?: number };
    if (message.address) onReady(message.address);
    if (message.ack !== undefined) acks.get(message.ack)?.();
  });

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const address = await Promise.race([
    ready,
    exited.then((code) => Promise.reject(new Error(`replica ${replica} exited (${code}) before listening`))),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`replica ${replica} did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  clearTimeout(timer);

  let nextId = 1;
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    replica,
    address,
    pid: child.pid!,
    child,
    exited,
    send(command) {
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        acks.set(id, () => {
          acks.delete(id);
          resolve();
        });
        child.stdin!.write(JSON.stringify({ ...command, id }) + '\n', (error) => error && reject(error));
      });
    },
    crash: () => signalAndWait('SIGKILL'),
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    async drain(graceMs = 10_000) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
    async stop() {
      await signalAndWait('SIGKILL');
    },
  };
}
