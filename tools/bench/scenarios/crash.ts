import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { faultRun, type FaultRunResult } from '../src/fault-run.js';
import { faultTimeline, summarizeFaultRuns } from '../src/fault-summary.js';
import { startFleet } from '../src/fleet.js';

export const scenario: Scenario = {
  name: 'crash',
  description: 'SIGKILL one replica of 3 under steady load through connect(): failed calls, picks after the kill, p99',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const params = {
      replicas: 3,
      runs,
      concurrency: 16,
      durationS: quick ? 3 : 6,
      faultAtS: 1,
      incidentS: 2,
      client: 'connect() defaults (peak-ewma, detector, retry with budget, breakers), deadline 5 s',
    };
    const fleet = await startFleet('crash', 3, signal);
    const done: FaultRunResult[] = [];
    try {
      for (let run = 0; run < runs && !signal.aborted; run++) {
        progress(`run ${run + 1}/${runs}`);
        if (run > 0) await fleet.replace(0);
        done.push(
          await faultRun({
            fleet,
            victim: 0,
            fault: (replica) => replica.crash(),
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
    const results: BenchRecord[] = [{ variant: 'sigkill', ...summarizeFaultRuns(done, true) }];
    return {
      params,
      results,
      anchors: [
        'target: 0 failed calls (issue 9); picks_stop_ms = last attempt the balancer sent to the dead replica after the kill',
        'p99_ms = calls started in the 2 s after the kill; p99_before_ms = steady state before it, same run',
      ],
      series: { timeline: done[0] ? faultTimeline(done[0], { scenario: 'crash', variant: 'sigkill' }) : [] },
    };
  },
};
