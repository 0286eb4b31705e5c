import { spawnEchoReplica, type EchoReplica } from '@ballast/testing';

export interface Fleet {
  readonly replicas: EchoReplica[];
  readonly addresses: string[];
  /** Replaces replica `index` by a fresh one (after a crash, freeze or drain). */
  replace(index: number): Promise<EchoReplica>;
  /** SIGKILLs every replica still running; idempotent. */
  stop(): Promise<void>;
}

type Spawn = (name: string) => Promise<EchoReplica>;

/**
 * Starts `count` replicas as child processes in parallel. Every replica it ever started is
 * stopped by `stop()`, and at once when `signal` aborts (Ctrl-C), so none outlives the scenario.
 */
export async function startFleet(
  prefix: string,
  count: number,
  signal: AbortSignal,
  spawn: Spawn = spawnEchoReplica,
): Promise<Fleet> {
  const all = new Set<EchoReplica>();
  const pending = new Set<Promise<EchoReplica>>();
  let generation = 0;
  const launch = (name: string) => {
    const started = spawn(name);
    pending.add(started);
    return started.then(
      (replica) => {
        pending.delete(started);
        all.add(replica);
        return replica;
      },
      (error: unknown) => {
        pending.delete(started);
        throw error;
      },
    );
  };
  const stop = async () => {
    await Promise.allSettled([...pending]);
    await Promise.all([...all].map((r) => r.stop()));
  };
  const onAbort = () => void stop();
  signal.addEventListener('abort', onAbort, { once: true });
  let replicas: EchoReplica[];
  try {
    replicas = await Promise.all(Array.from({ length: count }, (_, i) => launch(`${prefix}-${i}`)));
  } catch (error) {
    await stop();
    throw error;
  }
  const fleet: Fleet = {
    replicas,
    get addresses() {
      return replicas.map((r) => r.address);
    },
    async replace(index) {
      await replicas[index]!.stop();
      const fresh = await launch(`${prefix}-${index}-${++generation}`);
      replicas[index] = fresh;
      return fresh;
    },
    async stop() {
      signal.removeEventListener('abort', onAbort);
      await stop();
    },
  };
  return fleet;
}
