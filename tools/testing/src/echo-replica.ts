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
  /** Echo calls with this message skip `delayMs` ('' : none do). */
  fastFor?: string;
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

/** How to run a module as a child: TypeScript sources through tsx with the source condition. */
function nodeArgs(modulePath: string): string[] {
  if (!modulePath.endsWith('.ts')) return [modulePath];
  const require = createRequire(import.meta.url);
  return ['--conditions=@ballast/source', '--import', require.resolve('tsx'), modulePath];
}

function siblingMain(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/echo-replica\.(ts|js)$/, 'echo-replica-main.$1');
}

/**
 * Starts an EchoService replica as a child process, so a test can really kill, freeze or drain it.
 * Resolves once it listens; rejects if it exits first or takes longer than `startTimeoutMs`.
 */
export function spawnEchoReplica(
  replica: string,
  options: { port?: number; startTimeoutMs?: number } = {},
): Promise<EchoReplica> {
  return spawnReplica(siblingMain(), [replica, String(options.port ?? 0)], { replica, ...options });
}

/**
 * Runs any replica program as a child process. The program prints one JSON line
 * `{"listening": "host:port"}` when it listens, and answers each stdin JSON line that has an `id` with `{"ack": id}`
 * (see echo-replica-main.ts). `modulePath` may be TypeScript: it then runs through tsx.
 */
export async function spawnReplica(
  modulePath: string,
  args: readonly string[],
  options: { replica: string; startTimeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<EchoReplica> {
  const replica = options.replica;
  const child = spawn(process.execPath, [...nodeArgs(modulePath), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: options.env ?? process.env,
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
    // Only our own protocol lines count; anything else a program prints (logs) passes through.
    let message: { listening?: string; ack?: number };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (typeof message.listening === 'string') onReady(message.listening);
    if (typeof message.ack === 'number') acks.get(message.ack)?.();
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
