import type { Disposer, Endpoint } from './endpoint.js';

/**
 * What a failure detector tells the balancer: which endpoints may take calls now. The detector
 * owns the panic threshold, so `eligible` may return ejected endpoints when too few are healthy.
 */
export interface HealthView {
  eligible(endpoints: readonly Endpoint[]): readonly Endpoint[];
  /** Called whenever `eligible` may answer differently, so pickers can be rebuilt. */
  onChange(listener: () => void): Disposer;
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
  return {
    eligible: (endpoints) => views.reduce((remaining, view) => view.eligible(remaining), endpoints),
    onChange(listener) {
      const disposers = views.map((view) => view.onChange(listener));
      return () => disposers.forEach((dispose) => dispose());
    },
  };
}
