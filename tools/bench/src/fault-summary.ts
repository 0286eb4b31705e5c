import { Status } from 'nice-grpc-common';
import type { BenchRecord } from '@ballast/bench-kit';
import type { FaultRunResult } from './fault-run.js';
import { timeline } from '@ballast/bench-kit';
import { spread } from '@ballast/bench-kit';

/** One record over repeated fault runs: failed calls summed, times and latencies as median + spread. */
export function summarizeFaultRuns(runs: readonly FaultRunResult[], withDetect: boolean): BenchRecord {
  const detected = runs.map((r) => r.detectMs).filter((d): d is number => d !== null);
  return {
    runs: runs.length,
    calls: runs.reduce((sum, r) => sum + r.calls, 0),
    failed_calls: runs.reduce((sum, r) => sum + r.failedCalls, 0),
    failed_codes: failedCodes(runs),
    ...spread(
      'picks_stop_ms',
      runs.map((r) => r.picksStopMs),
      0,
    ),
    ...(withDetect
      ? detected.length > 0
        ? { ...spread('detect_ms', detected, 0), undetected_runs: runs.length - detected.length }
        : { detect_ms: null, detect_ms_min: null, detect_ms_max: null, undetected_runs: runs.length }
      : {}),
    ...(runs.some((r) => r.hedges !== undefined) ? { hedges: runs.reduce((sum, r) => sum + (r.hedges ?? 0), 0) } : {}),
    budget_refused: runs.reduce((sum, r) => sum + (r.budgetRefused ?? 0), 0),
    ...spread(
      'p99_before_ms',
      runs.map((r) => r.p99BeforeMs),
      1,
    ),
    ...spread(
      'p50_ms',
      runs.map((r) => r.p50IncidentMs),
      1,
    ),
    ...spread(
      'p99_ms',
      runs.map((r) => r.p99IncidentMs),
      1,
    ),
  };
}

/** Latency per 100 ms bucket of one run, time relative to the fault, for the report's charts. */
export function faultTimeline(run: FaultRunResult, labels: BenchRecord): BenchRecord[] {
  const shifted = run.samples.map((s) => ({ ...s, startMs: s.startMs - run.faultAtMs }));
  return timeline(shifted, 100).map((bucket) => ({ ...labels, ...bucket }));
}

/** "DEADLINE_EXCEEDED×3 UNAVAILABLE×1": why calls failed, so a missed target comes with its cause. */
function failedCodes(runs: readonly FaultRunResult[]): string {
  const counts = new Map<string, number>();
  for (const run of runs)
    for (const s of run.samples) {
      if (s.ok) continue;
      const name = s.code === undefined || s.code < 0 ? 'OTHER' : (Status[s.code] ?? String(s.code));
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  return [...counts].map(([name, n]) => `${name}×${n}`).join(' ');
}
