import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdMember, type EtcdTlsOptions } from './etcd-member.js';
import { findEtcd } from './find-etcd.js';
import { freePort } from './free-port.js';
import { memberStatus, type StatusTls } from './member-status.js';

export { EtcdMember };
export type { EtcdTlsOptions };

export interface EtcdClusterOptions {
  /** Number of members (default 3). */
  members?: number;
  /** etcd binary; default ETCD_BIN or `etcd` on PATH. */
  bin?: string;
  /** Raft heartbeat and election timeout, ms (etcd defaults: 100 and 1000). */
  heartbeatMs?: number;
  electionMs?: number;
  /** How long start() may take before it fails (default 20 s). */
  startTimeoutMs?: number;
  /**
   * Serve clients over https:// with these PEM files (peers stay on http). The cluster's own
   * status probes present `cert`/`key` as their client certificate when `clientCertAuth` is on.
   */
  tls?: EtcdTlsOptions;
}

/** Which member to fault: the current leader, any follower, or a given member. */
export type MemberTarget = 'leader' | 'follower' | EtcdMember;

/**
 * A local etcd cluster on loopback ports with data in a temp dir, for tests, the demo and
 * benchmarks. Members can be killed, paused and restarted to inject faults.
 */
export class EtcdCluster {
  private constructor(
    readonly members: readonly EtcdMember[],
    readonly rootDir: string,
    private readonly startTimeoutMs: number,
    private readonly probeTls?: StatusTls,
  ) {}

  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const bin = options.bin ?? findEtcd();
    const size = options.members ?? 3;
    // Read before anything starts, so a wrong path fails with nothing to clean up.
    const probeTls = options.tls ? await readProbeTls(options.tls) : undefined;
    const rootDir = await mkdtemp(join(tmpdir(), 'ballast-etcd-'));
    const specs = [];
    for (let i = 0; i < size; i++) {
      specs.push({
        name: `m${i}`,
        dataDir: join(rootDir, `m${i}`),
        clientPort: await freePort(),
        peerPort: await freePort(),
      });
    }
    const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
    const tuning = { heartbeatMs: options.heartbeatMs ?? 100, electionMs: options.electionMs ?? 1000 };
    const tls = options.tls;
    const members = specs.map((spec) => new EtcdMember(bin, spec, initialCluster, tuning, rootDir, tls));
    const cluster = new EtcdCluster(members, rootDir, options.startTimeoutMs ?? 20_000, probeTls);
    try {
      for (const member of members) member.start('new');
      await cluster.waitForLeader();
    } catch (error) {
      await cluster.stop();
      throw new Error(`etcd cluster did not elect a leader; member logs are in ${rootDir}`, { cause: error });
    }
    return cluster;
  }

  /** Client URLs of every member, e.g. "http://127.0.0.1:40123" (https:// with the `tls` option). */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** The member every running member agrees is leader; rejects when there is none. */
  async leader(): Promise<EtcdMember> {
    const running = this.members.filter((m) => m.running);
    const statuses = await Promise.all(
      running.map((m) => memberStatus(m.clientUrl, undefined, this.probeTls).catch(() => undefined)),
    );
    const byId = new Map<string, EtcdMember>();
    statuses.forEach((s, i) => s && byId.set(s.memberId, running[i]!));
    const answered = statuses.filter((s) => s !== undefined);
    const leaderId = answered[0]?.leaderId;
    if (!leaderId || leaderId === '0' || answered.some((s) => s.leaderId !== leaderId)) {
      throw new Error('the etcd cluster has no agreed leader right now');
    }
    const leader = byId.get(leaderId);
    if (!leader) throw new Error(`leader ${leaderId} is not a running member`);
    return leader;
  }

  /** Resolves with the leader once the running members agree on one; rejects after `timeoutMs`. */
  async waitForLeader(timeoutMs = this.startTimeoutMs): Promise<EtcdMember> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        return await this.leader();
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no etcd leader within ${timeoutMs} ms`, { cause: lastError });
  }

  private async resolve(target: MemberTarget): Promise<EtcdMember> {
    if (target instanceof EtcdMember) return target;
    const leader = await this.waitForLeader();
    if (target === 'leader') return leader;
    const follower = this.members.find((m) => m !== leader && m.running);
    if (!follower) throw new Error('no running follower to fault');
    return follower;
  }

  /** Signals a member (SIGKILL by default) and returns it; SIGKILL/SIGTERM wait for the exit. */
  async kill(target: MemberTarget = 'leader', signal: NodeJS.Signals = 'SIGKILL'): Promise<EtcdMember> {
    const member = await this.resolve(target);
    await member.signal(signal);
    return member;
  }

  /** SIGSTOP: the member keeps its sockets but answers nothing. */
  async pause(target: MemberTarget = 'leader'): Promise<EtcdMember> {
    return this.kill(target, 'SIGSTOP');
  }

  resume(member: EtcdMember): void {
    void member.signal('SIGCONT');
  }

  /** Starts a stopped member again from its data dir and waits until it answers. */
  async restart(member: EtcdMember): Promise<void> {
    if (member.running) await member.stop();
    member.start('existing');
    await this.waitForMember(member);
    await this.waitForLeader();
  }

  /** Stops every member, keeping the data dirs (for a whole-cluster restart). */
  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }

  /** Starts every member again from its data dir and waits for a leader. */
  async startAll(): Promise<void> {
    for (const member of this.members) member.start('existing');
    await this.waitForLeader();
  }

  /** Stops everything and removes the data dirs. Safe to call twice. */
  async stop(): Promise<void> {
    await this.stopAll();
    for (const member of this.members) member.closeLog();
    await rm(this.rootDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async waitForMember(member: EtcdMember): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (
        await memberStatus(member.clientUrl, undefined, this.probeTls).then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`etcd member ${member.name} did not answer within ${this.startTimeoutMs} ms`);
  }
}

async function readProbeTls(tls: EtcdTlsOptions): Promise<StatusTls> {
  const ca = await readFile(tls.ca);
  if (!tls.clientCertAuth) return { ca };
  return { ca, cert: await readFile(tls.cert), key: await readFile(tls.key) };
}

/** Starts a local etcd cluster and resolves once it has a leader. */
export function startEtcdCluster(options?: EtcdClusterOptions): Promise<EtcdCluster> {
  return EtcdCluster.start(options);
}
