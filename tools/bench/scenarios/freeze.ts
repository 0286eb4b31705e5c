import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { faultRun, type FaultRunResult } from '../src/fault-run.js';
import { faultTimeline, summarizeFaultRuns } from '../src/fault-summary.js';
import { startFleet } from '../src/fleet.js';

export const scenario: Scenario = {
  name: 'freeze',
  description: 'SIGSTOP one replica of 3 under steady load, with and without hedging: failed calls, detect_ms, p99',
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 3;
    const params = {
      replicas: 3,
      runs,
      concurrency: 16,
      durationS: quick ? 3 : 6,
      faultAtS: 1,
      incidentS: 2,
      deadlineMs: 2_000,
      hedging: 'delayMs adaptive (p95 of recent calls)',
      client: 'connect() defaults otherwise (peak-ewma, 1 s health checks, outlier detection, retry with budget)',
    };
    const fleet = await startFleet('freeze', 3, signal);
    const byVariant = { off: [] as FaultRunResult[], adaptive: [] as FaultRunResult[] };
    try {
      for (let run = 0; run < runs && !signal.aborted; run++) {
        // Alternate which goes first so drift on a shared machine hits both alike.
        const order = run % 2 === 0 ? (['off', 'adaptive'] as const) : (['adaptive', 'off'] as const);
        for (const hedging of order) {
          if (signal.aborted) break;
          progress(`hedging ${hedging}, run ${run + 1}/${runs}`);
          if (byVariant.off.length + byVariant.adaptive.length > 0) await fleet.replace(0);
          byVariant[hedging].push(
            await faultRun({
              fleet,
              victim: 0,
              fault: (replica) => replica.freeze(),
              connectOptions: {
                deadlineMs: params.deadlineMs,
                hedging: hedging === 'off' ? false : { delayMs: 'adaptive' },
              },
              concurrency: params.concurrency,
              durationMs: params.durationS * 1000,
              faultAtMs: params.faultAtS * 1000,
              incidentMs: params.incidentS * 1000,
              signal,
            }),
          );
        }
      }
    } finally {
      // A frozen process still dies on SIGKILL.
      await fleet.stop();
    }
    const results: BenchRecord[] = (['off', 'adaptive'] as const)
      .filter((h) => byVariant[h].length > 0)
      .map((hedging) => ({ variant: 'sigstop', hedging, ...summarizeFaultRuns(byVariant[hedging], true) }));
    const series = (['off', 'adaptive'] as const).flatMap((hedging) =>
      byVariant[hedging][0] ? faultTimeline(byVariant[hedging][0], { scenario: 'freeze', hedging }) : [],
    );
    return {
      params,
      results,
      anchors: [
        'detect_ms (freeze): Kubernetes default probes ≈ 30 s; Akka phi-accrual ≈ 4.5 s at 1 s heartbeats; memberlist 4–24 s',
        'targets (issue 9): ejected ≤ 1 000 ms; 0 failed calls with hedging',
      ],
      series: { timeline: series },
    };
  },
};
