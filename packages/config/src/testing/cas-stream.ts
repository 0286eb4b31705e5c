import type { KvStore, WatchBatch } from '../kv-store.js';

export interface CasStreamResult {
  /** Acknowledged writes: the counter value written, the revision returned, when (performance.now()). */
  readonly acked: readonly { value: number; revision: number; at: number }[];
  /** Calls that failed (deadline, unavailable) and were retried after a fresh read. */
  readonly errors: number;
  /** Longest time between two acknowledged writes, ms. */
  readonly maxGapMs: number;
}

/**
 * Increments a counter with compare-and-swap until `count` writes are acknowledged (or `signal`
 * aborts), calling `after(n)` after the n-th so a test can inject faults mid-stream. Each write names
 * its predecessor's revision, so the acknowledged writes form one chain; every failure is retried
 * after a fresh read.
 */
export async function casStream(
  store: KvStore,
  key: string,
  count: number,
  after: (n: number) => void = () => {},
  signal?: AbortSignal,
): Promise<CasStreamResult> {
  const acked: { value: number; revision: number; at: number }[] = [];
  let errors = 0;
  let value = 0;
  let revision = 0;
  let last = performance.now();
  let maxGapMs = 0;
  while (acked.length < count && !signal?.aborted) {
    try {
      const res = await store.txn({
        compare: [{ key, target: 'modRevision', op: '==', value: revision }],
        success: [{ type: 'put', key, value: String(value + 1) }],
        failure: [{ type: 'get', key }],
      });
      if (res.succeeded) {
        value += 1;
        revision = res.revision;
        const now = performance.now();
        acked.push({ value, revision, at: now });
        maxGapMs = Math.max(maxGapMs, now - last);
        last = now;
        after(acked.length);
      } else {
        // An earlier write may have committed without its answer reaching us: follow the store.
        const kv = res.results[0]?.type === 'get' ? res.results[0].kv : undefined;
        value = Number(kv?.value ?? 0);
        revision = kv?.modRevision ?? 0;
      }
    } catch {
      errors += 1;
      try {
        const { kv } = await store.get(key);
        value = Number(kv?.value ?? 0);
        revision = kv?.modRevision ?? 0;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  return { acked, errors, maxGapMs };
}

/** Checks a watch log against acknowledged writes; returns what is wrong (empty = all good). */
export function auditWatch(
  batches: readonly WatchBatch[],
  acked: CasStreamResult['acked'],
): {
  missed: number;
  duplicated: number;
  outOfOrder: number;
  gaps: number;
} {
  const revisions = batches.map((b) => b.revision);
  const seen = new Set(revisions);
  const values = batches.flatMap((b) => b.events.map((e) => (e.type === 'put' ? Number(e.kv.value) : NaN)));
  let outOfOrder = 0;
  for (let i = 1; i < revisions.length; i++) if (revisions[i]! <= revisions[i - 1]!) outOfOrder++;
  let gaps = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== i + 1) gaps++;
  return {
    missed: acked.filter((a) => !seen.has(a.revision)).length,
    duplicated: revisions.length - seen.size,
    outOfOrder,
    gaps,
  };
}
