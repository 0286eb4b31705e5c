import type { Disposer } from './disposer.js';
import type { Endpoint } from './endpoint.js';

/**
 * What a failure detector tells the balancer: which endpoints may take calls now. The detector
 * owns the panic threshold, so `eligible` may return ejected endpoints when too few are healthy.
 */
export interface HealthView {
  eligible(endpoints: readonly Endpoint[]): readonly Endpoint[];
  /** Called whenever `eligible` may answer differently, so pickers can be rebuilt. */
  onChange(listener: () => void): Disposer;
  /**
   * Asked at pick time for the endpoint a picker chose, when a view limits attempts one by one
   * (a half-open breaker lets only so many probes through): false sends the pick elsewhere.
   * Each admitted attempt's outcome reaches the view's outcome listener as usual.
   */
  admit?(endpointId: string): boolean;
}

/** Everything is eligible: the view when no detector is configured. */
export const allHealthy: HealthView = {
  eligible: (endpoints) => endpoints,
  onChange: () => () => {},
};

/**
 * An endpoint is eligible only if every view lets it through, applied in order: each view sees
 * only what the previous ones let through. Put the view with a panic threshold (the detector)
 * last, so its panic mode still applies when an earlier view (endpoint breakers) removed too many.
 */
export function allOfHealth(views: readonly HealthView[]): HealthView {
  if (views.length === 0) return allHealthy;
  if (views.length === 1) return views[0]!;
  const admitting = views.filter((view) => view.admit !== undefined);
  return {
    eligible: (endpoints) => views.reduce((remaining, view) => view.eligible(remaining), endpoints),
    ...(admitting.length > 0 && { admit: (id: string) => admitting.every((view) => view.admit!(id)) }),
    onChange(listener) {
      const disposers = views.map((view) => view.onChange(listener));
      return () => disposers.forEach((dispose) => dispose());
    },
  };
}
