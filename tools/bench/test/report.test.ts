import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchReport, type BenchReport } from '../src/bench-report.js';
import { timeline } from '@ballast/bench-kit';
import { markdownTable } from '../src/markdown-table.js';
import { writeReport } from '../src/report.js';
import { checkTargets } from '../src/targets.js';

const report: BenchReport = {
  node: 'v20.20.2',
  cpus: 2,
  startedAt: '2026-01-01T00:00:00.000Z',
  scenarios: [
    {
      scenario: 'slow-replica',
      params: { runs: 3 },
      results: [
        { policy: 'healthy', p99_ms: 10, p99_ms_min: 9, p99_ms_max: 11, ratio: 1 },
        { policy: 'peak-ewma', cpu: 'saturated', p99_ms: 12, ratio: 1.2, p999_ratio: 2.5, slow_share: 0.0004 },
        { policy: 'peak-ewma', cpu: 'spare', p99_ms: 9, ratio: 0.9, p999_ratio: 1, slow_share: 0.01 },
        {
          policy: 'peak-ewma+hedging',
          cpu: 'saturated',
          p99_ms: 13,
          ratio: 1.05,
          amplification: 1.04,
          p99_vs_peak_ewma: 1.08,
        },
        { policy: 'peak-ewma-again', cpu: 'saturated', p99_vs_peak_ewma: 1.05 },
        { policy: 'peak-ewma+hedging', cpu: 'spare', ratio: 0.9, amplification: 1.01, p99_vs_peak_ewma: 0.97 },
        { policy: 'peak-ewma+hedging-1ms', cpu: 'saturated', failed_calls: 0 },
      ],
      anchors: ['Linkerd "Beyond Round Robin"'],
    },
    {
      scenario: 'crash',
      params: {},
      results: [{ variant: 'sigkill', failed_calls: 2 }],
      series: {
        timeline: [
          { t_ms: -100, p99_ms: 3 },
          { t_ms: 0, p99_ms: 40 },
        ],
      },
    },
    {
      scenario: 'burst',
      params: {},
      results: [
        { concurrency: 8, failed_calls: 0, shed_share: 0, ejections: 0 },
        { concurrency: 64, failed_calls: 0, shed_share: 0.2, ejections: 2 },
        { concurrency: 128, failed_calls: 3, shed_share: 0.5, ejections: 1 },
      ],
    },
  ],
};

describe('report', () => {
  it('merges a figure and its spread into one Markdown cell', () => {
    expect(markdownTable([{ policy: 'a|b', p99_ms: 2, p99_ms_min: 1, p99_ms_max: 3, n: 4 }]).split('\n')).toEqual([
      '| policy | p99_ms | n |',
      '| --- | --- | --- |',
      '| a\\|b | 2 (1–3) | 4 |',
    ]);
  });

  it('judges each target from the records, and says which did not run', () => {
    const checks = new Map(checkTargets(report).map((c) => [c.target.split(':')[0], c]));
    // Both loads are judged, side by side; one load missing its target misses it.
    expect(checks.get('slow replica')).toMatchObject({ measured: 'saturated: 1.2×; spare: 0.9×', met: true });
    expect(checks.get('slow replica p99.9')).toMatchObject({ measured: 'saturated: 2.5×; spare: 1×', met: false });
    expect(checks.get('slow replica share')).toMatchObject({
      measured: 'saturated: 0.04 %; spare: 1.00 %',
      met: false,
    });
    // Hedged ÷ alone 1.08 where alone ÷ itself gave 1.05: worse than the noise floor, so not met,
    // though within 1.1× at 1.04 attempts per call.
    expect(checks.get('slow replica + hedging')).toMatchObject({
      measured:
        'saturated: 1.05×, 1.04 attempts per call, ÷ alone 1.08 (alone ÷ itself 1.05); spare: 0.9×, 1.01 attempts per call, ÷ alone 0.97',
      met: false,
    });
    expect(checks.get('hedging delayMs 1 at concurrency 64')).toMatchObject({ measured: '0 failed', met: true });
    expect(checks.get('crash')).toMatchObject({ measured: '2 failed', met: false });
    expect(checks.get('drain')).toMatchObject({ measured: 'not run', met: null });
    // Every step counts, not only the first record.
    expect(checks.get('burst')).toMatchObject({ measured: '2 at concurrency 64, 1 at concurrency 128', met: false });
  });

  it('buckets call latencies by start time', () => {
    const points = timeline(
      [
        { startMs: -50, latencyMs: 2, ok: true },
        { startMs: 10, latencyMs: 30, ok: false, code: 4 },
        { startMs: 20, latencyMs: 10, ok: true },
      ],
      100,
    );
    expect(points.map((p) => [p.t_ms, p.calls, p.failed_calls, p.max_ms])).toEqual([
      [-100, 1, 0, 2],
      [0, 2, 1, 30],
    ]);
  });

  it('refuses a results file without scenarios, naming the fix', () => {
    expect(() => parseBenchReport('{"node":"v20"}', 'x.json')).toThrow(/no "scenarios" array.*--json FILE/);
    expect(() => parseBenchReport('not json', 'x.json')).toThrow(/x.json is not JSON/);
  });

  it('writes REPORT.md with the target table and SVG charts rendered by Vega-Lite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-report-'));
    try {
      const files = await writeReport(report, dir, 'npm run bench -- --report');
      expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
        'REPORT.md',
        'crash-timeline.svg',
        'slow-replica-p99.svg',
      ]);
      const markdown = await readFile(join(dir, 'REPORT.md'), 'utf8');
      expect(markdown).toMatch(/\| crash: 0 failed calls +\| crash +\| 2 failed +\| ❌ not met +\|/);
      expect(markdown).toContain('![p99 per balancing policy');
      expect(markdown).toContain('- Anchor: Linkerd');
      const svg = await readFile(join(dir, 'slow-replica-p99.svg'), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('peak-ewma');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
