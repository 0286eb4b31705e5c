import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { faultTimeline, summarizeFaultRuns } from '../src/fault-summary.js';
import { faultParams, runFaultScenario } from '../src/fault-scenario.js';

export const scenario: Scenario = {
  name: 'freeze',
  description: 'SIGSTOP one replica of 3 under steady load, with and without hedging: failed calls, detect_ms, p99',
  async run(context) {
    const params = {
      ...faultParams(context.quick),
      deadlineMs: 2_000,
      hedging: 'delayMs adaptive (p95 of recent calls)',
      client:
        'connect() defaults otherwise (peak-ewma, on-silence health checks: a Check after 400 ms of silence with calls waiting, 450 ms to answer; outlier detection, retry with budget)',
    };
    const variants = ['off', 'adaptive'] as const;
    const byVariant = await runFaultScenario({
      name: 'freeze',
      context,
      params,
      variants,
      fault: (replica) => replica.freeze(),
      connectOptions: (hedging) => ({
        deadlineMs: params.deadlineMs,
        hedging: hedging === 'off' ? false : { delayMs: 'adaptive' },
      }),
    });
    const results: BenchRecord[] = variants
      .filter((h) => byVariant[h].length > 0)
      .map((hedging) => ({ variant: 'sigstop', hedging, ...summarizeFaultRuns(byVariant[hedging], true) }));
    const series = variants.flatMap((hedging) =>
      byVariant[hedging][0] ? faultTimeline(byVariant[hedging][0], { scenario: 'freeze', hedging }) : [],
    );
    return {
      params,
      results,
      anchors: [
        'detect_ms (freeze): Kubernetes default probes ≈ 30 s; Akka phi-accrual ≈ 4.5 s at 1 s heartbeats; memberlist 4–24 s',
        'targets: ejected ≤ 1 000 ms; 0 failed idempotent calls with hedging and without (in-flight attempts move off the frozen replica)',
      ],
      series: { timeline: series },
    };
  },
};
