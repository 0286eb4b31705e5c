import { systemScheduler, type Logger, type Scheduler } from '@ballast/core';
import { Candidacy } from './candidacy.js';
import { InvalidOptionError, LockTimeoutError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { isValidName } from './registry-entry.js';

export interface LockOptions {
  /** Lease TTL: a crashed holder's lock frees itself within about this long. Default 10 s. */
  readonly ttlSeconds?: number;
  /** Give up after this long with LockTimeoutError. Default: wait until `signal` aborts. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Default /ballast/locks/. */
  readonly root?: string;
  readonly logger?: Logger;
  /** Time and timers of the wait's timeout, the lease and the queue's mirror; a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
}

/** A held lock: `token` (fencing) increases with every acquisition; release() frees it. */
export type LockHandle = Candidacy;

/**
 * A distributed lock that waits (etcd3's Lock is a try-lock): queue under `<root><name>/`, the
 * lowest create revision holds. Returns the handle with a fencing token; fencedTxn writes only
 * while the lock is still held.
 */
export async function acquireLock(store: KvStore, name: string, options: LockOptions = {}): Promise<LockHandle> {
  if (!isValidName(name)) throw new InvalidOptionError('lock name', `"${name}": letters, digits, . _ - only`);
  const ttlSeconds = options.ttlSeconds ?? 10;
  const prefix = `${options.root ?? '/ballast/locks/'}${name}/`;
  const scheduler = options.scheduler ?? systemScheduler;
  const started = scheduler.now();
  const candidacy = await Candidacy.join(store, prefix, String(process.pid), {
    ttlSeconds,
    logger: options.logger,
    scheduler,
  });
  const timeout = new AbortController();
  // Unref'd as AbortSignal.timeout is: the wait alone does not keep the process alive.
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : scheduler.setTimeout(
          () => timeout.abort(new DOMException(`lock "${name}" not acquired in time`, 'TimeoutError')),
          options.timeoutMs,
          { unref: true },
        );
  const timeoutSignal = timer === undefined ? undefined : timeout.signal;
  const signals = [options.signal, timeoutSignal].filter((s): s is AbortSignal => s !== undefined);
  try {
    await candidacy.waitUntilHolding(signals.length > 0 ? AbortSignal.any(signals) : undefined);
    return candidacy;
  } catch (err) {
    await candidacy.release();
    if (timeout.signal.aborted && !options.signal?.aborted) {
      throw new LockTimeoutError(name, Math.round(scheduler.now() - started));
    }
    throw err;
  } finally {
    scheduler.clearTimeout(timer);
  }
}
