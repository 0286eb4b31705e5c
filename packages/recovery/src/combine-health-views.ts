import type { Endpoint, HealthView } from '@ballast/core';

/**
 * One HealthView from several, applied in order: each sees only what the previous let through.
 * Put the view with a panic threshold (the detector) last, so its panic mode still applies when
 * an earlier view (endpoint breakers) has removed too many endpoints.
 */
export function combineHealthViews(...views: readonly HealthView[]): HealthView {
  return {
    eligible(endpoints: readonly Endpoint[]) {
      return views.reduce<readonly Endpoint[]>((list, view) => view.eligible(list), endpoints);
    },
    onChange(listener) {
      const disposers = views.map((view) => view.onChange(listener));
      return () => disposers.forEach((dispose) => dispose());
    },
  };
}
