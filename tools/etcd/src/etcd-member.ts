import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface MemberSpec {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
}

/** File paths of the PEM files an https:// member serves with. */
export interface EtcdTlsOptions {
  /** Server certificate; with `clientCertAuth` it also needs clientAuth usage (etcd's gateway dials with it). */
  cert: string;
  key: string;
  /** CA that signed the server certificate and, with `clientCertAuth`, the client certificates. */
  ca: string;
  /** Reject clients without a certificate signed by `ca` (etcd --client-cert-auth). */
  clientCertAuth?: boolean;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Whatever happens to the test process, no etcd it started outlives it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** One etcd process of a loopback cluster; restartable with the same data dir and ports. */
export class EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<unknown> = Promise.resolve();
  #log: WriteStream | undefined;

  constructor(
    private readonly bin: string,
    private readonly spec: MemberSpec,
    private readonly initialCluster: string,
    private readonly tuning: { heartbeatMs: number; electionMs: number },
    private readonly logDir: string,
    private readonly tls?: EtcdTlsOptions,
  ) {
    this.name = spec.name;
    this.dataDir = spec.dataDir;
    // Peers stay on plain http: only the client side is under test.
    this.clientUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${spec.clientPort}`;
    this.peerUrl = `http://127.0.0.1:${spec.peerPort}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process; `state` is "new" the first time and "existing" on a restart. */
  start(state: 'new' | 'existing'): void {
    if (this.running) return;
    installExitHook();
    this.#log ??= createWriteStream(join(this.logDir, `${this.name}.log`), { flags: 'a' });
    const child = spawn(
      this.bin,
      [
        '--name',
        this.name,
        '--data-dir',
        this.dataDir,
        '--listen-client-urls',
        this.clientUrl,
        '--advertise-client-urls',
        this.clientUrl,
        '--listen-peer-urls',
        this.peerUrl,
        '--initial-advertise-peer-urls',
        this.peerUrl,
        '--initial-cluster',
        this.initialCluster,
        '--initial-cluster-state',
        state,
        '--initial-cluster-token',
        'ballast-test',
        '--heartbeat-interval',
        String(this.tuning.heartbeatMs),
        '--election-timeout',
        String(this.tuning.electionMs),
        '--logger',
        'zap',
        ...this.tlsArgs(),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.pipe(this.#log, { end: false });
    child.stderr!.pipe(this.#log, { end: false });
    live.add(child);
    this.#child = child;
    this.#exited = once(child, 'exit').finally(() => live.delete(child));
  }

  private tlsArgs(): string[] {
    if (!this.tls) return [];
    const { cert, key, ca, clientCertAuth } = this.tls;
    const args = ['--cert-file', cert, '--key-file', key];
    // etcd 3.4 demands a client certificate whenever --trusted-ca-file is set, so it goes only with client-cert auth.
    return clientCertAuth ? [...args, '--trusted-ca-file', ca, '--client-cert-auth'] : args;
  }

  /** Sends a signal; for SIGKILL and SIGTERM waits until the process is gone. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    if (signal === 'SIGKILL' || signal === 'SIGTERM') child.kill('SIGCONT');
    child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await this.#exited;
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL after `graceMs` — a member whose peers are gone
   * can ignore SIGTERM for seconds.
   */
  async stop(graceMs = 2_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  closeLog(): void {
    this.#log?.end();
    this.#log = undefined;
  }
}
