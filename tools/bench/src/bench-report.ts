import type { BenchRecord } from '@ballast/bench-kit';

/** One scenario in the results file (shape in shared BENCH.md). */
export interface ScenarioReport {
  scenario: string;
  description?: string;
  node?: string;
  cpus?: number;
  /** When this scenario started; a results file merged from several runs keeps each one's time. */
  startedAt?: string;
  params: Record<string, unknown>;
  results: BenchRecord[];
  anchors?: string[];
  series?: Record<string, BenchRecord[]>;
}

/** What `--json FILE` writes and `--report --from FILE` reads. */
export interface BenchReport {
  node: string;
  cpus: number;
  startedAt: string;
  quick?: boolean;
  scenarios: ScenarioReport[];
}

/** Reads a results file, checking just enough of its shape to give a clear error. */
export function parseBenchReport(text: string, file: string): BenchReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON (${(error as Error).message}); pass a file written by --json`, {
      cause: error,
    });
  }
  const report = data as Partial<BenchReport>;
  if (!report || !Array.isArray(report.scenarios)) {
    throw new Error(`${file} has no "scenarios" array; pass a file written by npm run bench -- --json FILE`);
  }
  for (const s of report.scenarios) {
    if (typeof s?.scenario !== 'string' || !Array.isArray(s.results)) {
      throw new Error(`${file}: every scenario needs "scenario" (a name) and "results" (records)`);
    }
  }
  return report as BenchReport;
}
