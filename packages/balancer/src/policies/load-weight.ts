import type { LoadReport } from '@ballast/core';

/** An event loop this late is treated as a fully busy process. */
export const EVENT_LOOP_SATURATION_MS = 100;
/** Floor on utilisation so an idle server does not get an infinite weight. */
const MIN_UTILISATION = 0.01;

/**
 * The weight a load report earns, as gRPC's weighted_round_robin computes it from ORCA:
 * qps / utilisation, where utilisation is the busier of CPU and event-loop delay. Without qps the
 * weight is 1 / utilisation; with only an in-flight count, 1 / (in-flight + 1). A report with
 * nothing usable gives undefined (no weight yet).
 */
export function loadWeight(report: LoadReport): number | undefined {
  const utilisation = Math.max(report.cpu ?? 0, (report.eventLoopDelayMs ?? 0) / EVENT_LOOP_SATURATION_MS);
  if (utilisation > 0 || report.cpu !== undefined) {
    const u = Math.max(utilisation, MIN_UTILISATION);
    return report.qps !== undefined && report.qps > 0 ? report.qps / u : 1 / u;
  }
  if (report.inFlight !== undefined) return 1 / (report.inFlight + 1);
  return undefined;
}
