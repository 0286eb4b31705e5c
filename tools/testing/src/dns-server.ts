import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** name → addresses, as the DNS server answers A/AAAA queries. */
export type DnsRecords = Readonly<Record<string, readonly string[]>>;

export interface DnsServer {
  /** "127.0.0.1:PORT", for Resolver.setServers or a dns://server/ target authority. */
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** Rewrites the hosts file and reloads it (SIGHUP); resolves once dnsmasq has read it. */
  setRecords(records: DnsRecords): Promise<void>;
  /** SIGKILL: queries go unanswered from now on. */
  kill(): Promise<void>;
  /** Stops the server whatever its state and removes its files (idempotent). */
  stop(): Promise<void>;
}

export interface DnsServerOptions {
  readonly records: DnsRecords;
  /** TTL of every answer, seconds (dnsmasq --local-ttl; default 1). */
  readonly ttlSeconds?: number;
  /** Domain answered locally (NODATA/NXDOMAIN instead of REFUSED for unknown names); default "test". */
  readonly domain?: string;
  /** How long start and each reload may take (default 5 s). */
  readonly timeoutMs?: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Where dnsmasq is: DNSMASQ_BIN, or the Debian package's path, or PATH. */
function dnsmasqBinary(): string {
  const candidates = [process.env.DNSMASQ_BIN, '/usr/sbin/dnsmasq'].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return 'dnsmasq';
}

async function freeUdpishPort(): Promise<number> {
  // A free TCP port on loopback; dnsmasq binds UDP and TCP on it, and the UDP one is free too in
  // practice on a test machine (nothing else binds ephemeral UDP ports by number).
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function hostsFile(records: DnsRecords): string {
  return Object.entries(records)
    .flatMap(([name, addresses]) => addresses.map((address) => `${address} ${name}\n`))
    .join('');
}

/**
 * A real DNS server (Debian's dnsmasq) on a loopback port whose answers a test changes while it
 * runs: records live in a hosts file that `setRecords` rewrites and reloads with SIGHUP. Needs
 * dnsmasq installed (`npm run setup` does it).
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const dir = mkdtempSync(join(tmpdir(), 'ballast-dns-'));
  // dnsmasq drops to "nobody" and re-reads the file as that user on SIGHUP.
  chmodSync(dir, 0o755);
  const file = join(dir, 'hosts');
  const write = (records: DnsRecords) => {
    writeFileSync(file, hostsFile(records));
    chmodSync(file, 0o644);
  };
  write(options.records);
  const port = await freeUdpishPort();
  const domain = options.domain ?? 'test';
  const child = spawn(
    dnsmasqBinary(),
    [
      '--keep-in-foreground',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--conf-file=/dev/null',
      '--pid-file=',
      '--log-facility=-',
      `--local=/${domain}/`,
      `--addn-hosts=${file}`,
      `--local-ttl=${options.ttlSeconds ?? 1}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal);
    });
    child.once('error', () => resolve('spawn failed'));
  });
  const lines = createInterface({ input: child.stderr! });
  const output: string[] = [];
  let waiter: { resolve: () => void } | undefined;
  lines.on('line', (line) => {
    output.push(line);
    if (output.length > 50) output.shift();
    if (line.includes(`read ${file}`)) waiter?.resolve();
  });
  /** Resolves at the next "read FILE" line, rejects if dnsmasq exits or takes too long. */
  const nextRead = (what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`dnsmasq: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        waiter = undefined;
        reject(new Error(`${error.message}\n${output.join('\n')}`));
      };
      waiter = {
        resolve: () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        },
      };
      void exited.then((code) => waiter && fail(new Error(`dnsmasq exited (${code}) before its ${what}`)));
    });

  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await nextRead('start');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async setRecords(records) {
      write(records);
      const read = nextRead('reload');
      child.kill('SIGHUP');
      await read;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop,
  };
}
