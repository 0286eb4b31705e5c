import type { LoadReport } from '@ballast/core';

/**
 * How much a server's error rate adds to its utilisation (gRFC A58's error_utilization_penalty):
 * a replica that answers fast with errors must not attract traffic.
 */
export const ERROR_UTILISATION_PENALTY = 1;

/**
 * The weight an ORCA report earns, as gRPC's weighted_round_robin computes it (gRFC A58):
 * qps / (utilisation + penalty · eps / qps), where utilisation is the application's own figure
 * when it reports one and CPU otherwise. A report without qps or utilisation gives undefined
 * (no weight yet), so the endpoint gets the mean weight of the others.
 */
export function loadWeight(report: LoadReport): number | undefined {
  const qps = report.rpsFractional ?? 0;
  const application = report.applicationUtilization ?? 0;
  const utilisation = application > 0 ? application : (report.cpuUtilization ?? 0);
  if (!(qps > 0 && utilisation > 0)) return undefined;
  return qps / (utilisation + (ERROR_UTILISATION_PENALTY * (report.eps ?? 0)) / qps);
}
