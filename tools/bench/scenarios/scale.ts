import type { BenchRecord, Scenario } from '@ballast/bench-kit';
import { simulateScale, type ScaleOptions } from '../src/scale-simulation.js';

/** connect()'s health defaults: on-silence Checks (400 ms with calls waiting, 2 s idle, 450 ms timeout), keepalive 30 s. */
const HEALTH = { silenceCheckMs: 400, idleCheckMs: 2_000, checkTimeoutMs: 450, keepaliveMs: 30_000 } as const;
const TICK_MS = 100;

const FULL: readonly Pick<ScaleOptions, 'clients' | 'replicas' | 'callsPerTick' | 'measureTicks'>[] = [
  { clients: 1_000, replicas: 1_000, callsPerTick: 10, measureTicks: 1_000 },
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
        ...HEALTH,
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
        ...HEALTH,
        tickMs: TICK_MS,
        utilisation: 0.6,
        churnShare: 0.01,
        fleets: quick ? QUICK : FULL,
      },
      results,
      anchors: [
        'targets: connections per client <= 32; max/mean load <= 1.10 at 1 000 x 1 000; churn <= 2x the minimum; zone-local >= 95 %; 0 failed idempotent calls when a zone of three dies',
        'without subsetting every client connects to every replica: 1 000 connections per client, and polling every replica with a Check each 100 ms costs it 20 messages/s (Check and answer) per client',
        'health messages: a Check and its answer per 2 s of silence on a connection (none while it answers calls), a keepalive PING and its ACK per 30 s; Watch streams are silent while nothing changes',
      ],
    };
  },
};
