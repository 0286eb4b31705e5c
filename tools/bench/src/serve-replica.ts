import { spawnReplica, type EchoReplica } from '@ballast/testing';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../scenarios/fixtures/serve-replica.ts', import.meta.url));

/** Options of a replica run through serve() (see scenarios/fixtures/serve-replica.ts). */
export interface ServeReplicaOptions {
  /** `work`: capacity bound by `workers` slots of `workMs`; `echo`: the plain EchoService. */
  readonly mode?: 'echo' | 'work';
  readonly loadShedding?: boolean;
  readonly workers?: number;
  readonly workMs?: number;
}

/** Starts an EchoService replica served by serve() (no registry) as a child process. */
export function spawnServeReplica(name: string, options: ServeReplicaOptions = {}): Promise<EchoReplica> {
  const args = [
    name,
    options.mode ?? 'echo',
    options.loadShedding === false ? 'noshed' : 'shed',
    String(options.workers ?? 4),
    String(options.workMs ?? 20),
  ];
  return spawnReplica(main, args, { replica: name, startTimeoutMs: 30_000 });
}
