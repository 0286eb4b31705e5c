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
