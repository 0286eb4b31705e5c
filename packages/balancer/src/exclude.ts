import type { Endpoint } from '@ballast/core';

/**
 * From `start`, the first index (wrapping) whose endpoint is not excluded; `start` itself when
 * every endpoint is excluded, because a retry on a failed endpoint beats no attempt at all.
 */
export function firstAllowed(endpoints: readonly Endpoint[], start: number, exclude: ReadonlySet<string>): number {
  if (exclude.size === 0) return start;
  const n = endpoints.length;
  for (let step = 0; step < n; step++) {
    const index = (start + step) % n;
    if (!exclude.has(endpoints[index]!.id)) return index;
  }
  return start;
}

export function isExcluded(endpoint: Endpoint, exclude: ReadonlySet<string>): boolean {
  return exclude.size > 0 && exclude.has(endpoint.id);
}
