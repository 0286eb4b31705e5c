/** What a scenario gets from the runner. */
export interface BenchContext {
  /** Shorter runs for CI smoke: fewer repetitions, shorter durations, smaller sizes. */
  quick: boolean;
  /** One line of progress for the console, e.g. "peak-ewma run 2/5". */
  progress(message: string): void;
  /** Aborted on Ctrl-C: stop load, stop every process the scenario started, then return. */
  signal: AbortSignal;
}

/** A flat record: what varies (policy, variant, endpoints…) and figures whose names end in their unit. */
export type BenchRecord = Record<string, string | number | boolean | null>;

export interface ScenarioResult {
  params: Record<string, unknown>;
  results: BenchRecord[];
  /** Lines printed under the table: the anchors the figures compare to. */
  anchors?: string[];
  /** Longer data for charts in the report (not printed): e.g. latency per time bucket through a fault. */
  series?: Record<string, BenchRecord[]>;
}

/**
 * One benchmark scenario (BENCH.md). A package ships its scenarios as `bench/<name>.ts`
 * exporting `scenario`; the runner finds them by name.
 */
export interface Scenario {
  name: string;
  description: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}
