import type { Endpoint } from '@ballast/core';

/**
 * The endpoints calls may go to: the healthy ones, or all of them when the healthy share is below
 * `panicThreshold` (Envoy's panic mode) — a few survivors would be overloaded by everything, and
 * a detector that wrongly marks most endpoints down must not take the service down with it.
 */
export function eligibleWithPanic(
  endpoints: readonly Endpoint[],
  isHealthy: (endpoint: Endpoint) => boolean,
  panicThreshold: number,
): { eligible: readonly Endpoint[]; panic: boolean } {
  const healthy = endpoints.filter(isHealthy);
  if (endpoints.length > 0 && healthy.length / endpoints.length < panicThreshold) {
    return { eligible: endpoints, panic: true };
  }
  return { eligible: healthy.length === endpoints.length ? endpoints : healthy, panic: false };
}
