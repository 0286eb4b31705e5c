import { describe, expect, it } from 'vitest';
import { simulateScale } from '../src/scale-simulation.js';

// The simulation is deterministic (seeded, virtual clock): the figures of one small fleet are
// exact, so the targets are asserted as they are, not within a tolerance.
describe('scale simulation of 100 clients × 100 replicas in 3 zones', () => {
  const figures = simulateScale({ clients: 100, replicas: 100, zones: 3, callsPerTick: 10, measureTicks: 200 });

  it('connects each client to its subset only', () => {
    expect(figures.connections_per_client).toBe(32);
    expect(figures.connections_per_client_max).toBeLessThanOrEqual(32);
    // One PING + ACK per connection per second: 100 × 32 ÷ 100 connections per replica.
    expect(figures.health_msgs_per_replica_per_s).toBe(64);
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
