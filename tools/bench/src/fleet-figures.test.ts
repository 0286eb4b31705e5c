import { describe, expect, it } from 'vitest';
import { fleetFigures, idleHealthPerReplica, type GroupStats } from './fleet-figures.js';

const round = (value: number) => Math.round(value * 100) / 100;

describe('fleetFigures', () => {
  it('takes load spread and health traffic from the counters of the window only', () => {
    const before: GroupStats[] = [
      { calls: { a: 10, b: 10 }, checks: 100, watchMessages: 4, cpuMs: 100 },
      { calls: { c: 0, d: 5 }, checks: 50, watchMessages: 4, cpuMs: 100 },
    ];
    const after: GroupStats[] = [
      { calls: { a: 110, b: 90 }, checks: 120, watchMessages: 4, cpuMs: 500 },
      { calls: { c: 120, d: 95 }, checks: 60, watchMessages: 6, cpuMs: 900 },
    ];
    const clients = [
      { calls: 200, failed: 0, connections: 4, ready: 4 },
      { calls: 210, failed: 1, connections: 3, ready: 2 },
    ];
    const figures = fleetFigures(before, after, clients, 2_000);
    // Loads 100, 80, 120, 90: mean 97.5, max 120.
    expect(figures.max_mean_load).toBe(1.231);
    // 2 × (20 + 10) Checks and 2 Watch messages over 2 s, plus 7 connections' pings (2 per 30 s), over 4 replicas.
    expect(figures.health_msgs_per_replica_per_s).toBe(round((62 / 2 + (2 * 7) / 30) / 4));
    expect(figures).toMatchObject({
      connections_per_client: 3.5,
      connections_per_client_max: 4,
      ready_connections_per_client: 3,
      calls: 410,
      failed_calls: 1,
      calls_per_s: 205,
      // (400 + 800) ms of CPU over two processes in a 2 s window.
      replica_cpu_share: 0.3,
    });
    expect(idleHealthPerReplica(before, after, 2_000, 7)).toBe(round((62 / 2 + (2 * 7) / 30) / 4));
  });
});
