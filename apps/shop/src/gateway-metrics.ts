import { metricsRegistry } from '@ballast/detector';
import { register, type Registry } from 'prom-client';

/**
 * The registries the gateway's /metrics exposes: prom-client's default one (the shop's own
 * metrics, rejected live config, process metrics when collected) and Ballast's (the connect()
 * clients' calls, picks, detector verdicts, breakers and retry budgets).
 */
export const GATEWAY_REGISTRIES: readonly Registry[] = [register, metricsRegistry];

/**
 * The registries' families in the Prometheus text format, each name once: Prometheus refuses a
 * scrape that declares a family twice, and the first registry holding a name renders it.
 */
export async function metricsText(registries: readonly Registry[] = GATEWAY_REGISTRIES): Promise<string> {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      if (seen.has(metric.name)) continue;
      seen.add(metric.name);
      parts.push(await registry.getSingleMetricAsString(metric.name));
    }
  }
  return parts.join('\n') + '\n';
}

export const METRICS_CONTENT_TYPE = register.contentType;
