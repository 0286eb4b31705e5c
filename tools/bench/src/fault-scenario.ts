import type { BenchContext } from '@ballast/bench-kit';
import type { ConnectOptions } from '@ballast/rpc';
import type { EchoReplica } from '@ballast/testing';
import { faultRun, type FaultRunResult } from './fault-run.js';
import { startFleet } from './fleet.js';

/** The load shape every fault scenario shares: 3 replicas, 16 callers, the fault 1 s in. */
export function faultParams(quick: boolean) {
  return { replicas: 3, runs: quick ? 1 : 3, concurrency: 16, durationS: quick ? 3 : 6, faultAtS: 1, incidentS: 2 };
}

export interface FaultScenarioOptions<V extends string> {
  name: string;
  context: BenchContext;
  params: ReturnType<typeof faultParams>;
  /** Client variants compared side by side; runs alternate their order so drift hits all alike. */
  variants: readonly V[];
  fault: (replica: EchoReplica) => unknown;
  connectOptions?: (variant: V) => Omit<ConnectOptions, 'endpoints'>;
  spawn?: Parameters<typeof startFleet>[3];
}

/**
 * Runs the fault `params.runs` times per variant against one fleet, replacing the faulted
 * replica between runs, and stops every process it started, also on failure or Ctrl-C.
 */
export async function runFaultScenario<V extends string>(
  o: FaultScenarioOptions<V>,
): Promise<Record<V, FaultRunResult[]>> {
  const { params, context } = o;
  const byVariant = Object.fromEntries(o.variants.map((v) => [v, [] as FaultRunResult[]])) as Record<
    V,
    FaultRunResult[]
  >;
  const fleet = await startFleet(o.name, params.replicas, context.signal, o.spawn);
  let done = 0;
  try {
    for (let run = 0; run < params.runs && !context.signal.aborted; run++) {
      const order = run % 2 === 0 ? o.variants : [...o.variants].reverse();
      for (const variant of order) {
        if (context.signal.aborted) break;
        context.progress(`${o.variants.length > 1 ? `${variant}, ` : ''}run ${run + 1}/${params.runs}`);
        if (done++ > 0) await fleet.replace(0);
        byVariant[variant].push(
          await faultRun({
            fleet,
            victim: 0,
            fault: o.fault,
            connectOptions: o.connectOptions?.(variant),
            concurrency: params.concurrency,
            durationMs: params.durationS * 1000,
            faultAtMs: params.faultAtS * 1000,
            incidentMs: params.incidentS * 1000,
            signal: context.signal,
          }),
        );
      }
    }
  } finally {
    // A frozen process still dies on SIGKILL.
    await fleet.stop();
  }
  return byVariant;
}
