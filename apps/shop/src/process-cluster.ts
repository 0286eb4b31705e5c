import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EtcdStore, type KvStore } from '@ballast/config';
import { createLogger, Emitter, type Disposer, type Logger } from '@ballast/core';
import { memberStatus, type EtcdCluster } from '@ballast/etcd-cluster';
import { startSupervisor, type ChildState, type Supervisor } from '@ballast/recovery';
import { UnknownReplicaError, UnsupportedActionError } from './errors.js';
import type { ShopServiceName } from './shop-clients.js';
import {
  DEFAULT_LAYOUT,
  replicaNames,
  setReplicaDelay,
  type EtcdMemberStatus,
  type ProcessState,
  type ReplicaEvent,
  type ReplicaStatus,
  type ShopCluster,
} from './shop-cluster.js';

export interface ProcessClusterOptions {
  /** etcd client URLs; with `etcdCluster` given, its endpoints. */
  endpoints: readonly string[];
  /** A cluster this process started: lets the dashboard kill (and restart) its leader. */
  etcdCluster?: EtcdCluster;
  layout?: Readonly<Record<ShopServiceName, number>>;
  /** Replica output: inherit (demo) or ignore (tests). */
  stdio?: 'inherit' | 'ignore';
  /** BALLAST_LOG_LEVEL of the replicas (default warn). */
  logLevel?: string;
  logger?: Logger;
}

/** A member slower than this to say its status counts as down (a busy machine answers in tens of ms). */
const STATUS_TIMEOUT_MS = 1000;

/** How long a killed etcd leader stays down before it rejoins, ms. */
const ETCD_REJOIN_MS = 3000;

/**
 * Every replica as its own Node process under the recovery supervisor, on a real etcd cluster:
 * kill is SIGKILL, freeze SIGSTOP, drain SIGTERM, and the supervisor restarts whatever exits.
 */
export async function startProcessCluster(options: ProcessClusterOptions): Promise<ShopCluster> {
  const logger = options.logger ?? createLogger('shop.cluster');
  const store: KvStore = await EtcdStore.connect(
    { endpoints: [...options.endpoints], startupTimeoutMs: 30_000 },
    logger,
  );
  const names = replicaNames(options.layout ?? DEFAULT_LAYOUT);
  const services = new Map(names);
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const main = fileURLToPath(new URL('./replica-main.ts', import.meta.url));
  const supervisor: Supervisor = startSupervisor({
    children: names.map(([name, service]) => ({
      name,
      command: process.execPath,
      args: ['--conditions=@ballast/source', '--import', tsx, main, service, name],
      env: {
        ETCD_ENDPOINTS: options.endpoints.join(','),
        BALLAST_LOG_LEVEL: options.logLevel ?? process.env.BALLAST_LOG_LEVEL ?? 'warn',
      },
    })),
    restart: { baseDelayMs: 300, maxDelayMs: 3000, restartOnCleanExit: true, maxRestarts: 30, stableMs: 5000 },
    graceMs: 5000,
    stdio: options.stdio ?? 'inherit',
    logger,
  });
  const frozen = new Set<number>();
  const listeners = new Emitter<ReplicaEvent>('replica state', logger);
  const etcdTimers = new Set<NodeJS.Timeout>();
  const toProcessState = (state: ChildState): ProcessState => {
    switch (state.type) {
      case 'running':
        return frozen.has(state.pid) ? { kind: 'frozen', pid: state.pid } : { kind: 'running', pid: state.pid };
      case 'starting':
        return { kind: 'restarting' };
      case 'backoff':
        return { kind: 'restarting', inMs: state.delayMs };
      case 'stopping':
        return { kind: 'draining' };
      case 'exited':
        return { kind: 'down', reason: `exited (${state.exit.signal ?? state.exit.code})` };
      case 'gave-up':
        return { kind: 'down', reason: state.reason };
    }
  };
  const stopState = supervisor.onState(({ child, state }) => {
    if (state.type !== 'running') for (const pid of frozen) if (!isAlive(pid)) frozen.delete(pid);
    listeners.emit({ replica: child, state: toProcessState(state) });
  });
  const pidOf = (name: string): number => {
    if (!services.has(name)) throw new UnknownReplicaError(name, [...services.keys()]);
    const state = supervisor.states()[name];
    if (state?.type !== 'running') throw new UnsupportedActionError(`signalling ${name}`, `it is ${state?.type}`);
    return state.pid;
  };
  const signal = (name: string, sig: NodeJS.Signals) => {
    const pid = pidOf(name);
    process.kill(pid, sig);
    return pid;
  };

  return {
    mode: 'etcd',
    store,
    replicas: (): ReplicaStatus[] =>
      names.map(([name, service]) => {
        const state = supervisor.states()[name];
        return {
          name,
          service,
          state: state ? toProcessState(state) : { kind: 'restarting' },
          restarts: state?.restarts ?? 0,
        };
      }),
    onReplicaEvent(listener): Disposer {
      return listeners.on(listener);
    },
    async kill(name) {
      const pid = signal(name, 'SIGKILL');
      frozen.delete(pid);
    },
    async freeze(name) {
      frozen.add(signal(name, 'SIGSTOP'));
      listeners.emit({ replica: name, state: { kind: 'frozen' } });
    },
    async drain(name) {
      const pid = pidOf(name);
      // A frozen process cannot drain: wake it first.
      if (frozen.delete(pid)) process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGTERM');
    },
    async heal(name) {
      const state = supervisor.states()[name];
      if (state?.type === 'running' && frozen.delete(state.pid)) {
        process.kill(state.pid, 'SIGCONT');
        listeners.emit({ replica: name, state: { kind: 'running', pid: state.pid } });
      }
      await setReplicaDelay(store, name, 0);
    },
    async slow(name, delayMs) {
      if (!services.has(name)) throw new UnknownReplicaError(name, [...services.keys()]);
      await setReplicaDelay(store, name, delayMs);
    },
    etcd: () => etcdStatus(options),
    async killEtcdLeader() {
      const cluster = options.etcdCluster;
      if (!cluster)
        throw new UnsupportedActionError('killing the etcd leader', 'this demo did not start the etcd cluster');
      const member = await cluster.kill('leader');
      logger.warn({ member: member.name }, 'etcd leader killed');
      const timer = setTimeout(() => {
        etcdTimers.delete(timer);
        cluster.restart(member).catch((error: unknown) => logger.error({ err: error }, 'etcd member did not rejoin'));
      }, ETCD_REJOIN_MS);
      etcdTimers.add(timer);
      return member.name;
    },
    async close() {
      for (const timer of etcdTimers) clearTimeout(timer);
      for (const pid of frozen) if (isAlive(pid)) process.kill(pid, 'SIGCONT');
      stopState();
      await supervisor.stop();
      await store.close();
    },
  };
}

/**
 * Each member's state as it answers etcd's JSON gateway, whoever started or restarted it: a member
 * restarted outside this process answers and is up; only a member that answers is ever leader.
 */
export async function etcdStatus(
  options: Pick<ProcessClusterOptions, 'endpoints' | 'etcdCluster'>,
): Promise<EtcdMemberStatus[]> {
  const members = options.etcdCluster
    ? options.etcdCluster.members.map((m) => ({ name: m.name, clientUrl: m.clientUrl }))
    : options.endpoints.map((url, i) => ({ name: `member-${i + 1}`, clientUrl: url }));
  const statuses = await Promise.all(
    members.map((m) => memberStatus(m.clientUrl, STATUS_TIMEOUT_MS).catch(() => undefined)),
  );
  return etcdMembers(members, statuses);
}

/** Pure: the members' rows from their status answers (undefined = no answer). */
export function etcdMembers(
  members: readonly { name: string; clientUrl: string }[],
  statuses: readonly ({ memberId: string; leaderId: string } | undefined)[],
): EtcdMemberStatus[] {
  // The leader the answering members name most often (they disagree only for a moment).
  const votes = new Map<string, number>();
  for (const s of statuses) if (s && s.leaderId !== '0') votes.set(s.leaderId, (votes.get(s.leaderId) ?? 0) + 1);
  const leaderId = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  return members.map((m, i) => {
    const status = statuses[i];
    return { ...m, running: status !== undefined, leader: status !== undefined && status.memberId === leaderId };
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
