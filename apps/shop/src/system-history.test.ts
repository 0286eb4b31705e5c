import { describe, expect, it } from 'vitest';
import type { ClientReport } from './client-report.js';
import type { ReplicaReport } from './replica-reporter.js';
import { SystemHistory } from './system-history.js';

const idle = { running: false, errors: 0, p50Ms: 0, p99Ms: 0 };
const report = (
  caller: string,
  at: number,
  picks: Record<string, number>,
  extra: Partial<ClientReport> = {},
): ReplicaReport => ({
  caller,
  at,
  served: null,
  transitions: [],
  clients: [
    {
      service: 'inventory',
      endpoints: Object.entries(picks).map(([id, n]) => ({
        id,
        replica: id.split('.')[0]!,
        picks: n,
        inFlight: 1,
        state: id.endsWith('x') ? 'ejected' : 'up',
        reason: '',
      })),
      breakers: [],
      budget: null,
      hedges: null,
      ...extra,
    },
  ],
});

describe('SystemHistory', () => {
  it('turns every caller’s counters into calls/s per replica and per hop', () => {
    const history = new SystemHistory();
    const names = ['inventory-1', 'inventory-2'];
    history.add(
      1000,
      names,
      [report('orders-1', 1000, { 'inventory-1.a': 10 }), report('orders-2', 1000, { 'inventory-1.a': 0 })],
      idle,
    );
    const sample = history.add(
      3000,
      names,
      [report('orders-1', 3000, { 'inventory-1.a': 30 }), report('orders-2', 3000, { 'inventory-1.a': 10 })],
      idle,
    );
    expect(sample.calls).toEqual({ 'inventory-1': 15, 'inventory-2': 0 });
    expect(history.edges()).toEqual([
      { from: 'orders-1', to: 'inventory-1', service: 'inventory', callsPerSecond: 10, inFlight: 1, state: 'up' },
      { from: 'orders-2', to: 'inventory-1', service: 'inventory', callsPerSecond: 5, inFlight: 1, state: 'up' },
    ]);
  });

  it('counts a restarted caller from zero, and lets the serving incarnation speak for its replica', () => {
    const history = new SystemHistory();
    const budget = (retries: number) => ({ budget: { firstAttempts: 0, retries, refused: 0 } });
    history.add(0, [], [report('orders-1', 0, { 'inventory-1.a': 100 }, budget(50))], idle);
    const sample = history.add(
      1000,
      [],
      [report('orders-1', 1000, { 'inventory-1.a': 4, 'inventory-1.x': 0 }, budget(3))],
      idle,
    );
    expect(sample.calls['inventory-1']).toBe(4);
    expect(sample.retriesPerSecond).toBe(3);
    expect(history.edges()[0]).toMatchObject({ to: 'inventory-1', state: 'up', inFlight: 2 });
  });

  it('forgets points older than its window; latency only while the load runs', () => {
    const history = new SystemHistory(10_000);
    for (let at = 0; at <= 20_000; at += 5000)
      history.add(at, [], [], { running: true, errors: at / 1000, p50Ms: 5, p99Ms: 9 });
    const samples = history.samples();
    expect(samples.map((s) => s.at)).toEqual([10_000, 15_000, 20_000]);
    expect(samples.at(-1)).toMatchObject({ p50Ms: 5, p99Ms: 9, errorsPerSecond: 1 });
    expect(history.add(25_000, [], [], idle)).toMatchObject({ p50Ms: null, p99Ms: null });
  });
});
