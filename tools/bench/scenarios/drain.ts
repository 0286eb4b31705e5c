import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { faultRun, type FaultRunResult } from '../src/fault-run.js';
import { faultTimeline, summarizeFaultRuns } from '../src/fault-summary.js';
import { startFleet } from '../src/fleet.js';
import { spawnServeReplica } from '../src/serve-replica.js';

export const scenario: Scenario = {
  name: 'drain',
  description: 'SIGTERM one serve() replica of 3 under steady load: it drains; failed calls (target 0)',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const params = {
      replicas: 3,
      runs,
      concurrency: 16,
      durationS: quick ? 3 : 6,
      faultAtS: 1,
      incidentS: 2,
      server: 'serve() defaults without a registry (drainDelayMs 0), child processes',
      client: 'connect() defaults, deadline 5 s',
    };
    const fleet = await startFleet('drain', 3, signal, (name) => spawnServeReplica(name));
    const done: FaultRunResult[] = [];
    try {
      for (let run = 0; run < runs && !signal.aborted; run++) {
        progress(`run ${run + 1}/${runs}`);
        if (run > 0) await fleet.replace(0);
        done.push(
          await faultRun({
            fleet,
            victim: 0,
            fault: (replica) => replica.drain(10_000),
            concurrency: params.concurrency,
            durationMs: params.durationS * 1000,
            faultAtMs: params.faultAtS * 1000,
            incidentMs: params.incidentS * 1000,
            signal,
          }),
        );
      }
    } finally {
      await fleet.stop();
    }
    const results: BenchRecord[] = [{ variant: 'sigterm', ...summarizeFaultRuns(done, true) }];
    return {
      params,
      results,
      anchors: [
        'target: 0 failed calls (issue 9): the replica turns NOT_SERVING, finishes in-flight calls, then closes',
        'detect_ms = when the client learnt it was going (health watch), after the SIGTERM',
      ],
      series: { timeline: done[0] ? faultTimeline(done[0], { scenario: 'drain', variant: 'sigterm' }) : [] },
    };
  },
};
