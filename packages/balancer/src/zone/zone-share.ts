/**
 * Envoy's overprovisioning factor: a locality keeps all of its traffic while at least 1 / 1.4 ≈ 71 %
 * of its endpoints are healthy, so losing one replica of a few does not send calls across zones.
 */
export const OVERPROVISIONING_FACTOR = 1.4;

/**
 * The share of calls the client's own zone takes (Envoy's priority load with an overprovisioning
 * factor, local zone at priority 0): min(1, factor × healthy ÷ total). The rest spills to the
 * other zones in proportion to their healthy endpoints; a zone with none healthy takes nothing.
 */
export function localZoneShare(healthy: number, total: number, factor = OVERPROVISIONING_FACTOR): number {
  if (total <= 0 || healthy <= 0) return 0;
  return Math.min(1, (factor * healthy) / total);
}

/** The zone an endpoint is in, or '' when it names none (it then counts as in no client's zone). */
export function zoneOf(endpoint: { readonly zone?: string }): string {
  return endpoint.zone ?? '';
}
