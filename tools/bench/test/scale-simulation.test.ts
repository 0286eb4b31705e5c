import { describe, expect, it } from 'vitest';
import { simulateScale } from '../src/scale-simulation.js';

// The simulation is deterministic (seeded, virtual clock): the figures of one small fleet are
// exact, so the targets are asserted as they are, not within a tolerance.
describe('scale simulation of 100 clients × 100 replicas in 3 zones', () => {
  const figures = simulateScale({ clients: 100, replicas: 100, zones: 3, callsPerTick: 10, measureTicks: 500 });

  it('connects each client to its subset only', () => {
    expect(figures.connections_per_client).toBe(32);
    expect(figures.connections_per_client_max).toBeLessThanOrEqual(32);
    // 32 connections per replica (100 × 32 ÷ 100): the 24 local ones answer calls and carry no
    // Check; each of the 8 standby ones costs a Check and its answer per 2 s; every one a
    // keepalive PING and ACK per 30 s: 8 × 2 ÷ 2 + 32 × 2 ÷ 30 ≈ 10.1 messages a second, plus the
    // local connections the policy leaves silent for 2 s at a time. Every connection idle would
    // cost 32 × 2 ÷ 2 + 32 × 2 ÷ 30 ≈ 34; polling every replica each 100 ms, 2 000.
    expect(figures.health_msgs_per_replica_per_s).toBeGreaterThanOrEqual(8 + 64 / 30 - 0.05);
    expect(figures.health_msgs_per_replica_per_s).toBeLessThanOrEqual(16);
  });

  it('spreads load within 10 % of the mean and keeps every first attempt in the zone', () => {
    expect(figures.max_mean_load).toBeLessThanOrEqual(1.1);
    expect(figures.zone_local_share).toBeGreaterThanOrEqual(0.95);
  });

  it('moves at most twice the minimum of connections when 1 % of replicas are replaced', () => {
    expect(figures.churn_moved_ratio).toBeLessThanOrEqual(2);
  });

  it('loses no idempotent call when a zone of three dies under load, and shifts off it', () => {
    expect(figures.failover_failed_calls).toBe(0);
    expect(figures.failover_retried_calls).toBeGreaterThan(0);
    expect(figures.failover_shift_ms).toBeLessThanOrEqual(2_000);
  });
});

// The real fleet's latency is mostly noise at low load, and peak-EWMA follows noise as it follows
// load: the simulation given that noise spreads load as unevenly.
describe('scale simulation with latency noise that does not follow load', () => {
  const fleet = { clients: 6, replicas: 10, zones: 1, subsetSize: 8, callsPerTick: 2, utilisation: 0.06 };
  const replicaIds = Array.from({ length: 10 }, (_, i) => `r${i >> 1}-${i & 1}`);

  it('spreads load less evenly with noise than without, on the same subsets', () => {
    const quiet = simulateScale({ ...fleet, replicaIds, measureTicks: 200 });
    const noisy = simulateScale({ ...fleet, replicaIds, measureTicks: 200, latencySigma: 0.5 });
    expect(noisy.connections_per_client).toBe(quiet.connections_per_client);
    expect(noisy.max_mean_load).toBeGreaterThan(quiet.max_mean_load);
  });
});
