import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchRecord } from '@ballast/bench-kit';

/** Renders a Vega-Lite spec to an SVG string in Node (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * p99 latency per 100 ms bucket through a fault: one line per series (`label`), time 0 = the fault.
 * The y axis is logarithmic so a 2 s stall and a 2 ms steady state both stay readable.
 */
export function timelineSpec(title: string, points: readonly BenchRecord[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 640,
    height: 260,
    data: { values: points.map((p) => ({ ...p, t_s: Number(p.t_ms) / 1000 })) },
    layer: [
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't_s', type: 'quantitative', title: 'seconds after the fault (call start)' },
          y: {
            field: 'p99_ms',
            type: 'quantitative',
            title: 'p99 latency per 100 ms, ms (log)',
            scale: { type: 'log' },
          },
          color: { field: 'label', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 0 } },
        },
      },
      {
        data: { values: [{ t_s: 0 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: 'firebrick' },
        encoding: { x: { field: 't_s', type: 'quantitative' } },
      },
    ],
  };
}

/** p99 per policy with its min–max over runs, and a rule at 1.2× the all-healthy p99 (the target). */
export function policySpec(title: string, records: readonly BenchRecord[]): TopLevelSpec {
  const healthy = records.find((r) => r.policy === 'healthy');
  const limit = typeof healthy?.p99_ms === 'number' ? healthy.p99_ms * 1.2 : undefined;
  const order = records.map((r) => String(r.policy));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 260,
    data: { values: records.map((r) => ({ ...r })) },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          x: { field: 'policy', type: 'nominal', sort: order, title: null, axis: { labelAngle: -20 } },
          y: { field: 'p99_ms', type: 'quantitative', title: 'p99 latency, ms (median of runs)' },
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: {
          x: { field: 'policy', type: 'nominal', sort: order },
          y: { field: 'p99_ms_min', type: 'quantitative' },
          y2: { field: 'p99_ms_max' },
        },
      },
      ...(limit === undefined
        ? []
        : [
            {
              data: { values: [{ limit, label: '1.2× healthy p99 (target)' }] },
              mark: { type: 'rule' as const, strokeDash: [4, 3], color: 'firebrick' },
              encoding: { y: { field: 'limit', type: 'quantitative' as const } },
            },
          ]),
    ],
  };
}
