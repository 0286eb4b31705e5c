import type { Endpoint } from './endpoint.js';
import { InvalidEndpointError } from './invalid-endpoint-error.js';

/** Checks ids are unique and addresses look like host:port; throws naming the bad entry. */
export function validateEndpoints(endpoints: readonly Endpoint[]): readonly Endpoint[] {
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    if (!endpoint.id) throw new InvalidEndpointError(`endpoint ${JSON.stringify(endpoint)} has no id`);
    if (seen.has(endpoint.id)) {
      throw new InvalidEndpointError(`duplicate endpoint id "${endpoint.id}": every endpoint needs its own id`);
    }
    seen.add(endpoint.id);
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(endpoint.address) && !endpoint.address.startsWith('unix:')) {
      throw new InvalidEndpointError(
        `endpoint "${endpoint.id}" has address "${endpoint.address}": expected host:port or unix:path`,
      );
    }
    if (endpoint.weight !== undefined && !(Number.isFinite(endpoint.weight) && endpoint.weight >= 0)) {
      throw new InvalidEndpointError(
        `endpoint "${endpoint.id}" has weight ${endpoint.weight}: weights are finite and >= 0`,
      );
    }
  }
  return endpoints;
}
