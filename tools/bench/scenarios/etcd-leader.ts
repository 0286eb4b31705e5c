import { randomUUID } from 'node:crypto';
import { EtcdStore, type WatchBatch } from '@ballast/config';
import { casStream } from '@ballast/config/testing';
import { startEtcdCluster, type EtcdCluster, type EtcdMember } from '@ballast/etcd-cluster';
import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { silentLogger } from '../src/fault-run.js';
import { spread } from '@ballast/bench-kit';

/** CAS writes and a watch on one key; the leader is SIGKILLed after `killAfter` acknowledged writes. */
async function leaderKillRun(cluster: EtcdCluster, writes: number, killAfter: number, signal: AbortSignal) {
  const writer = await EtcdStore.connect({ endpoints: cluster.endpoints }, silentLogger);
  const watcher = await EtcdStore.connect({ endpoints: cluster.endpoints }, silentLogger);
  const key = `/bench/etcd-leader/${randomUUID()}`;
  const batches: WatchBatch[] = [];
  let caughtUp = () => {};
  let target = Number.POSITIVE_INFINITY;
  const watch = await watcher.watch(
    { key, fromRevision: (await writer.get(key)).revision + 1 },
    {
      onEvents: (batch) => {
        batches.push(batch);
        if (batch.revision >= target) caughtUp();
      },
    },
  );
  let killing: Promise<EtcdMember> | undefined;
  let killedAt = Number.NaN;
  // Found before the writes start, so the SIGKILL goes out the moment it is asked for and
  // `killedAt` is the real kill time (finding the leader takes status calls).
  const leader = await cluster.waitForLeader();
  try {
    const result = await casStream(
      writer,
      key,
      writes,
      (n) => {
        if (n !== killAfter) return;
        killedAt = performance.now();
        killing = cluster.kill(leader);
      },
      signal,
    );
    const killed = await killing;
    const last = result.acked.at(-1);
    if (last && (batches.at(-1)?.revision ?? 0) < last.revision) {
      // The watch resumes after the election: wait for it to reach the last write, bounded.
      target = last.revision;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (caughtUp = resolve)),
        new Promise((resolve) => (timer = setTimeout(resolve, 20_000))),
      ]);
      clearTimeout(timer);
    }
    const { kv } = await writer.get(key);
    const seen = new Set(batches.flatMap((b) => b.events.map((e) => (e.type === 'put' ? e.kv.modRevision : -1))));
    const eventCount = batches.reduce((sum, b) => sum + b.events.length, 0);
    // The write gap that spans the kill: last acknowledgement before it to the first after it.
    const before = result.acked.filter((a) => a.at <= killedAt).at(-1)?.at ?? killedAt;
    const afterKill = result.acked.find((a) => a.at > killedAt)?.at ?? Number.NaN;
    if (killed) await cluster.restart(killed);
    return {
      acked: result.acked.length,
      errors: result.errors,
      unavailableMs: afterKill - before,
      lostWrites: Math.max(0, (last?.value ?? 0) - Number(kv?.value ?? 0)),
      missedEvents: result.acked.filter((a) => !seen.has(a.revision)).length,
      duplicatedEvents: eventCount - seen.size,
    };
  } finally {
    await watch.close();
    await writer.close();
    await watcher.close();
  }
}

export const scenario: Scenario = {
  name: 'etcd-leader',
  description:
    'SIGKILL the etcd leader during CAS config writes and a watch: unavailability, lost writes, missed events',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const writes = quick ? 200 : 500;
    const killAfter = Math.floor(writes / 3);
    const cluster = await startEtcdCluster({ members: 3 });
    const onAbort = () => void cluster.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    const samples: Awaited<ReturnType<typeof leaderKillRun>>[] = [];
    try {
      for (let run = 0; run < runs && !signal.aborted; run++) {
        progress(`run ${run + 1}/${runs}`);
        samples.push(await leaderKillRun(cluster, writes, killAfter, signal));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      await cluster.stop();
    }
    const results: BenchRecord[] = [
      {
        variant: 'leader-sigkill',
        runs: samples.length,
        acked_writes: samples.reduce((sum, s) => sum + s.acked, 0),
        write_errors: samples.reduce((sum, s) => sum + s.errors, 0),
        ...spread(
          'unavailable_ms',
          samples.map((s) => s.unavailableMs),
          0,
        ),
        lost_writes: samples.reduce((sum, s) => sum + s.lostWrites, 0),
        missed_events: samples.reduce((sum, s) => sum + s.missedEvents, 0),
        duplicated_events: samples.reduce((sum, s) => sum + s.duplicatedEvents, 0),
      },
    ];
    return {
      params: {
        members: 3,
        runs,
        writesPerRun: writes,
        killAfterWrite: killAfter,
        store: 'EtcdStore defaults (1 s call deadline, guarded watch)',
        write: 'compare-and-swap on the key mod revision, retried after a read on error',
        election: 'etcd defaults: heartbeat 100 ms, election timeout 1 000 ms; killed member restarted between runs',
      },
      results,
      anchors: [
        'unavailable_ms (etcd leader): etcd: about one election timeout, 1–2 s with defaults',
        'targets (issue 9): 0 acknowledged writes lost, ≤ 2 500 ms unavailable',
      ],
    };
  },
};
