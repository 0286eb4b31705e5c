import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { simulateScale, type ScaleOptions } from '../src/scale-simulation.js';

/** One keepalive ping per connection per second: connect()'s health design (Watch + HTTP/2 pings). */
const PING_INTERVAL_MS = 1_000;
const TICK_MS = 100;

const FULL: readonly Pick<ScaleOptions, 'clients' | 'replicas' | 'callsPerTick' | 'measureTicks'>[] = [
  { clients: 1_000, replicas: 1_000, callsPerTick: 10, measureTicks: 600 },
  { clients: 10_000, replicas: 1_000, callsPerTick: 1, measureTicks: 600 },
];
const QUICK: typeof FULL = [
  { clients: 100, replicas: 100, callsPerTick: 10, measureTicks: 200 },
  { clients: 1_000, replicas: 300, callsPerTick: 2, measureTicks: 100 },
];

export const scenario: Scenario = {
  name: 'scale',
  description:
    'simulated fleets (1 000 and 10 000 clients × 1 000 replicas, 3 zones) on a virtual clock through the real subsetting, zone layer, slow start, peak-EWMA and outlier rules: connections, load spread, health traffic, churn, zone locality, zone failover',
  async run({ quick, progress, signal }) {
    const results: BenchRecord[] = [];
    for (const fleet of quick ? QUICK : FULL) {
      if (signal.aborted) break;
      const label = `${fleet.clients} × ${fleet.replicas}`;
      const figures = simulateScale({
        ...fleet,
        zones: 3,
        pingIntervalMs: PING_INTERVAL_MS,
        tickMs: TICK_MS,
        progress: (message) => progress(`${label}: ${message}`),
      });
      results.push({ ...figures, calls_per_client_per_s: (fleet.callsPerTick! * 1_000) / TICK_MS });
      // Let the progress line and Ctrl-C through between fleets.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return {
      params: {
        zones: 3,
        subsetSize: 32,
        policy: 'peak-ewma',
        pingIntervalMs: PING_INTERVAL_MS,
        pingTimeoutMs: 1_000,
        tickMs: TICK_MS,
        utilisation: 0.6,
        churnShare: 0.01,
        fleets: quick ? QUICK : FULL,
      },
      results,
      anchors: [
        'targets: connections per client <= 32; max/mean load <= 1.10 at 1 000 x 1 000; churn <= 2x the minimum; zone-local >= 95 %; 0 failed idempotent calls when a zone of three dies',
        'without subsetting every client connects to every replica: 1 000 connections per client, and 100 ms Check polling costs a replica 10 messages/s per client',
        'health messages: one HTTP/2 PING and its ACK per connection per ping interval; Watch streams are silent while nothing changes',
      ],
    };
  },
};
