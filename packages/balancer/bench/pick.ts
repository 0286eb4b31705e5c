import type { BenchContext, BenchRecord, Scenario } from '@ballast/bench-kit';
import { spread } from '@ballast/bench-kit';
import { seededRandom, type Endpoint } from '@ballast/core';
import { pino } from 'pino';
import { BUILT_IN_POLICIES, createPolicy, pickRequest, recordMetadata, type PickRequest } from '../src/index.js';

const SIZES = [3, 100, 10_000];
const KEYS = 1_024;

function endpointList(n: number): Endpoint[] {
  // Mixed weights, so weighted policies take their general path rather than plain rotation.
  return Array.from({ length: n }, (_, i) => ({
    id: `ep-${i}`,
    address: `10.0.${i >> 8}.${i & 255}:50051`,
    weight: 1 + (i % 4),
  }));
}

const requests: PickRequest[] = Array.from({ length: KEYS }, (_, i) =>
  pickRequest({ metadata: recordMetadata({ 'x-user': `user-${i}` }) }),
);

/** One run: build a picker over `n` endpoints, then time `picks` pick + done pairs. */
function runOnce(policyName: string, n: number, picks: number): { rebuildMs: number; nsPerPick: number } {
  const policy = createPolicy({
    policy: policyName,
    policyOptions: { hashKey: { header: 'x-user' } },
    random: seededRandom(n),
    logger: pino({ level: 'silent' }),
  });
  const list = endpointList(n);
  const built = process.hrtime.bigint();
  const picker = policy.picker(list);
  const rebuildMs = Number(process.hrtime.bigint() - built) / 1e6;
  const result = { code: 0, latencyMs: 2, load: { cpuUtilization: 0.5, rpsFractional: 100 } };
  for (let i = 0; i < 10_000; i++) picker.pick(requests[i & (KEYS - 1)]!).done(result);
  const start = process.hrtime.bigint();
  for (let i = 0; i < picks; i++) picker.pick(requests[i & (KEYS - 1)]!).done(result);
  const nsPerPick = Number(process.hrtime.bigint() - start) / picks;
  return { rebuildMs, nsPerPick };
}

export const scenario: Scenario = {
  name: 'pick',
  description:
    'ns per pick (pick + done) for every balancing policy at 3, 100 and 10 000 endpoints; picker rebuild time',
  async run({ quick, progress, signal }: BenchContext) {
    const runs = quick ? 3 : 7;
    const picks = quick ? 100_000 : 500_000;
    const results: BenchRecord[] = [];
    for (const policy of BUILT_IN_POLICIES) {
      for (const endpoints of SIZES) {
        const ns: number[] = [];
        const rebuild: number[] = [];
        for (let run = 1; run <= runs; run++) {
          if (signal.aborted) return { params: { runs, picks }, results };
          progress(`${policy} × ${endpoints} endpoints, run ${run}/${runs}`);
          const once = runOnce(policy, endpoints, picks);
          ns.push(once.nsPerPick);
          rebuild.push(once.rebuildMs);
          // Let the progress line and Ctrl-C through between runs.
          await new Promise((resolve) => setImmediate(resolve));
        }
        results.push({ policy, endpoints, ...spread('ns_per_pick', ns, 0), ...spread('rebuild_ms', rebuild, 2) });
      }
    }
    return {
      params: { runs, picks, sizes: SIZES, weights: '1 + (i % 4)', hashKeys: KEYS },
      results,
      anchors: [
        'target: <= 1000 ns per pick for every policy at 10 000 endpoints; ring-hash/maglev rebuild <= 50 ms',
        'Envoy ring_hash/maglev and grpc-js pickers are O(log n) / O(1) per pick as well',
      ],
    };
  },
};
