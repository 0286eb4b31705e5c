import type { KvStore } from '@ballast/config';

export interface CasCounterResult {
  /** Acknowledged writes: the counter value written and the revision etcd returned. */
  readonly acked: readonly { value: number; revision: number; at: number }[];
  /** Calls that failed (deadline, unavailable) and were retried after a fresh read. */
  readonly errors: number;
}

/**
 * Increments a counter by compare-and-swap on its mod revision until `count` writes are
 * acknowledged, calling `after(n)` after the n-th. Each write names its predecessor's revision,
 * so the acknowledged writes form one chain: if the final value holds the last one, none was lost.
 */
export async function casCounter(
  store: KvStore,
  key: string,
  count: number,
  signal: AbortSignal,
  after: (n: number) => void = () => {},
): Promise<CasCounterResult> {
  const acked: { value: number; revision: number; at: number }[] = [];
  let errors = 0;
  let value = 0;
  let revision = 0;
  const reread = async () => {
    const { kv } = await store.get(key);
    value = Number(kv?.value ?? 0);
    revision = kv?.modRevision ?? 0;
  };
  while (acked.length < count && !signal.aborted) {
    try {
      const res = await store.txn({
        compare: [{ key, target: 'modRevision', op: '==', value: revision }],
        success: [{ type: 'put', key, value: String(value + 1) }],
        failure: [{ type: 'get', key }],
      });
      if (res.succeeded) {
        value += 1;
        revision = res.revision;
        acked.push({ value, revision, at: performance.now() });
        after(acked.length);
      } else {
        // An earlier write may have committed without its answer reaching us: follow the store.
        const kv = res.results[0]?.type === 'get' ? res.results[0].kv : undefined;
        value = Number(kv?.value ?? 0);
        revision = kv?.modRevision ?? 0;
      }
    } catch {
      errors += 1;
      await reread().catch(() => new Promise((resolve) => setTimeout(resolve, 50)));
    }
  }
  return { acked, errors };
}
