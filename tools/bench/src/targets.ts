import type { BenchReport } from './bench-report.js';
import type { BenchRecord } from '@ballast/bench-kit';

/** One target of issue 9 and what the results say about it. */
export interface TargetCheck {
  readonly target: string;
  readonly scenario: string;
  /** The figure as measured, e.g. "0.93×" ("not run" when the scenario is missing). */
  readonly measured: string;
  /** null when the scenario was not run or did not produce the figure. */
  readonly met: boolean | null;
}

type Find = (scenario: string, match: (r: BenchRecord) => boolean) => BenchRecord | undefined;
/** Every record of a scenario (empty when it did not run), for targets that hold at every step. */
type Records = (scenario: string) => readonly BenchRecord[];

interface Target {
  target: string;
  scenario: string;
  check(find: Find, records: Records): { measured: string; met: boolean } | undefined;
}

const num = (r: BenchRecord | undefined, key: string) =>
  typeof r?.[key] === 'number' ? (r[key] as number) : undefined;

/** A difference with its sign: +8.1, −6. */
const signed = (x: number) => (x < 0 ? `−${-x}` : `+${x}`);

type Load = 'saturated' | 'spare';

/** The slow-replica record of `policy` under one load (a record without `cpu` is the saturated one). */
const slowReplica = (policy: string, cpu: Load) => (r: BenchRecord) =>
  r.policy === policy && (r.cpu ?? 'saturated') === cpu;

/**
 * A slow-replica target judged where the client has no spare CPU and where it has: met when met
 * under both loads that ran; the figure of each load side by side.
 */
function bothLoads(
  target: string,
  check: (find: Find, cpu: Load) => { measured: string; met: boolean } | undefined,
): Target {
  return {
    target,
    scenario: 'slow-replica',
    check(find) {
      const loads = (['saturated', 'spare'] as const)
        .map((cpu) => ({ cpu, result: check(find, cpu) }))
        .filter((l): l is { cpu: Load; result: { measured: string; met: boolean } } => l.result !== undefined);
      if (loads.length === 0) return undefined;
      return {
        measured: loads.map((l) => `${l.cpu}: ${l.result.measured}`).join('; '),
        met: loads.every((l) => l.result.met),
      };
    },
  };
}

const TARGETS: Target[] = [
  {
    target: 'overhead ≥ 0.90× plain nice-grpc (calls/s, concurrency 64)',
    scenario: 'overhead',
    check(find) {
      const ratio = num(
        find(
          'overhead',
          (r) =>
            r.variant === 'connect' && r.concurrency === 64 && 'ratio' in r && !('versus' in r) && !('replicas' in r),
        ),
        'ratio',
      );
      return ratio === undefined ? undefined : { measured: `${ratio}×`, met: ratio >= 0.9 };
    },
  },
  {
    target: 'overhead ≤ 10 µs added client CPU per call (concurrency 64)',
    scenario: 'overhead',
    check(find) {
      const added = num(
        find(
          'overhead',
          (r) => r.variant === 'connect' && r.concurrency === 64 && 'added_cpu_us_per_call' in r && !('versus' in r),
        ),
        'added_cpu_us_per_call',
      );
      return added === undefined ? undefined : { measured: `${signed(added)} µs`, met: added <= 10 };
    },
  },
  {
    target: 'overhead ≤ 25 µs added p50 (concurrency 1)',
    scenario: 'overhead',
    check(find) {
      const added = num(
        find(
          'overhead',
          (r) => r.variant === 'connect' && r.concurrency === 1 && 'added_p50_us' in r && !('versus' in r),
        ),
        'added_p50_us',
      );
      return added === undefined ? undefined : { measured: `${signed(added)} µs`, met: added <= 25 };
    },
  },
  {
    target: "overhead ≥ 1.0× grpc-js's round_robin + retryPolicy (calls/s, concurrency 64)",
    scenario: 'overhead',
    check(find) {
      const ratio = num(
        find('overhead', (r) => r.versus === 'grpcjs' && r.concurrency === 64),
        'ratio',
      );
      return ratio === undefined ? undefined : { measured: `${ratio}×`, met: ratio >= 1 };
    },
  },
  bothLoads('slow replica: peak-ewma p99 ≤ 1.2× all-healthy p99', (find, cpu) => {
    const ratio = num(find('slow-replica', slowReplica('peak-ewma', cpu)), 'ratio');
    return ratio === undefined ? undefined : { measured: `${ratio}×`, met: ratio <= 1.2 };
  }),
  bothLoads('slow replica p99.9: peak-ewma p99.9 ≤ 2× all-healthy p99.9', (find, cpu) => {
    const ratio = num(find('slow-replica', slowReplica('peak-ewma', cpu)), 'p999_ratio');
    return ratio === undefined ? undefined : { measured: `${ratio}×`, met: ratio <= 2 };
  }),
  bothLoads('slow replica share: peak-ewma sends it ≤ 0.1 % of attempts', (find, cpu) => {
    const share = num(find('slow-replica', slowReplica('peak-ewma', cpu)), 'slow_share');
    return share === undefined ? undefined : { measured: `${(share * 100).toFixed(2)} %`, met: share <= 0.001 };
  }),
  bothLoads(
    'slow replica + hedging: p99 ≤ 1.1× all-healthy, ≤ 1.05 attempts per call, and per round no worse than peak-ewma alone (hedged ÷ alone ≤ 1, or ≤ what peak-ewma ÷ itself gives)',
    (find, cpu) => {
      const hedged = find('slow-replica', slowReplica('peak-ewma+hedging', cpu));
      const ratio = num(hedged, 'ratio');
      const amplification = num(hedged, 'amplification');
      const versusAlone = num(hedged, 'p99_vs_peak_ewma');
      if (ratio === undefined || amplification === undefined || versusAlone === undefined) return undefined;
      // Two runs of the same client in one round differ too: that difference is the noise floor.
      const noise = num(find('slow-replica', slowReplica('peak-ewma-again', cpu)), 'p99_vs_peak_ewma');
      return {
        measured:
          `${ratio}×, ${amplification} attempts per call, ÷ alone ${versusAlone}` +
          (noise === undefined ? '' : ` (alone ÷ itself ${noise})`),
        met: ratio <= 1.1 && amplification <= 1.05 && versusAlone <= Math.max(1, noise ?? 1),
      };
    },
  ),
  {
    target: 'hedging delayMs 1 at concurrency 64: 0 failed calls',
    scenario: 'slow-replica',
    check(find) {
      const failed = num(
        find('slow-replica', (r) => r.policy === 'peak-ewma+hedging-1ms'),
        'failed_calls',
      );
      return failed === undefined ? undefined : { measured: `${failed} failed`, met: failed === 0 };
    },
  },
  ...(['crash', 'drain'] as const).map((scenario): Target => ({
    target: `${scenario}: 0 failed calls`,
    scenario,
    check(find) {
      const failed = num(
        find(scenario, (r) => 'failed_calls' in r),
        'failed_calls',
      );
      return failed === undefined ? undefined : { measured: `${failed} failed`, met: failed === 0 };
    },
  })),
  {
    target: 'freeze: frozen replica ejected ≤ 1 000 ms',
    scenario: 'freeze',
    check(find) {
      const records = (['off', 'adaptive'] as const).map((h) => find('freeze', (r) => r.hedging === h));
      if (records.every((r) => r === undefined)) return undefined;
      const detect = records.map((r) => num(r, 'detect_ms'));
      const undetected = records.some((r) => r && (num(r, 'undetected_runs') ?? 0) > 0);
      const worst = Math.max(...detect.map((d) => d ?? Number.POSITIVE_INFINITY));
      return {
        measured: `${detect.map((d) => (d === undefined ? 'none' : `${d} ms`)).join(' / ')} (median, hedging off / on)`,
        met: !undetected && worst <= 1000,
      };
    },
  },
  ...(['off', 'adaptive'] as const).map((hedging) => ({
    target: `freeze: 0 failed idempotent calls, hedging ${hedging === 'off' ? 'off' : 'on'}`,
    scenario: 'freeze',
    check(find: Find) {
      const failed = num(
        find('freeze', (r) => r.hedging === hedging),
        'failed_calls',
      );
      return failed === undefined ? undefined : { measured: `${failed} failed`, met: failed === 0 };
    },
  })),
  {
    target: 'outage: amplification ≤ 1.1× (default stack: budget on, breaker on)',
    scenario: 'outage',
    check(find) {
      const amplification = num(
        find('outage', (r) => r.budget === 'on' && r.breaker === 'on'),
        'amplification',
      );
      return amplification === undefined ? undefined : { measured: `${amplification}×`, met: amplification <= 1.1 };
    },
  },
  {
    target: 'burst: 0 ejections caused by shedding (at every step, 8 → 128 callers)',
    scenario: 'burst',
    check(_find, records) {
      const steps = records('burst').filter((r) => typeof r.ejections === 'number');
      if (steps.length === 0) return undefined;
      const ejected = steps.filter((r) => (r.ejections as number) > 0);
      return {
        measured:
          ejected.length === 0
            ? `0 ejections in ${steps.length} steps`
            : ejected.map((r) => `${r.ejections} at concurrency ${r.concurrency}`).join(', '),
        met: ejected.length === 0,
      };
    },
  },
  {
    target: 'etcd leader kill: 0 acknowledged writes lost',
    scenario: 'etcd-leader',
    check(find) {
      const lost = num(
        find('etcd-leader', (r) => 'lost_writes' in r),
        'lost_writes',
      );
      return lost === undefined ? undefined : { measured: `${lost} lost`, met: lost === 0 };
    },
  },
  {
    target: 'etcd leader kill: ≤ 2 500 ms write unavailability',
    scenario: 'etcd-leader',
    check(find) {
      const record = find('etcd-leader', (r) => 'unavailable_ms' in r);
      const median = num(record, 'unavailable_ms');
      const max = num(record, 'unavailable_ms_max');
      return median === undefined
        ? undefined
        : { measured: `${median} ms (max ${max} ms)`, met: (max ?? median) <= 2500 };
    },
  },
  ...scaleTargets(),
];

/** The scale targets, checked on every simulated fleet (max ÷ mean load at 1 000 × 1 000 only). */
function scaleTargets(): Target[] {
  const fleets = (records: Records) => records('scale').filter((r) => typeof r.clients === 'number');
  const each = (
    target: string,
    key: string,
    met: (value: number) => boolean,
    only: (r: BenchRecord) => boolean = () => true,
  ): Target => ({
    target,
    scenario: 'scale',
    check(_find, records) {
      const rows = fleets(records).filter(only);
      if (rows.length === 0) return undefined;
      const values = rows.map((r) => ({ fleet: `${r.clients}×${r.replicas}`, value: num(r, key) }));
      if (values.some((v) => v.value === undefined)) return undefined;
      return {
        measured: values.map((v) => `${v.value} (${v.fleet})`).join(', '),
        met: values.every((v) => met(v.value!)),
      };
    },
  });
  return [
    each('scale: ≤ 32 connections per client', 'connections_per_client_max', (v) => v <= 32),
    each(
      'scale: max ÷ mean load per replica ≤ 1.10 at 1 000 × 1 000',
      'max_mean_load',
      (v) => v <= 1.1,
      (r) => r.clients === 1_000 && r.replicas === 1_000,
    ),
    each('scale: 1 % replica churn moves ≤ 2× the minimum connections', 'churn_moved_ratio', (v) => v <= 2),
    each('scale: ≥ 95 % of calls in the client zone, all healthy', 'zone_local_share', (v) => v >= 0.95),
    each('scale: 0 failed idempotent calls when one zone of three dies', 'failover_failed_calls', (v) => v === 0),
  ];
}

/** Every target of issue 9 against the results, met or not; targets whose scenario did not run say so. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const records: Records = (scenario) => report.scenarios.find((s) => s.scenario === scenario)?.results ?? [];
  const find: Find = (scenario, match) => records(scenario).find(match);
  return TARGETS.map((t) => {
    const ran = report.scenarios.some((s) => s.scenario === t.scenario);
    const outcome = ran ? t.check(find, records) : undefined;
    return {
      target: t.target,
      scenario: t.scenario,
      measured: outcome?.measured ?? (ran ? 'no figure' : 'not run'),
      met: outcome?.met ?? null,
    };
  });
}
