import type { Endpoint } from '@ballast/core';
import { murmur3 } from '../murmur3.js';
import { localZoneShare, OVERPROVISIONING_FACTOR, zoneOf } from '../zone/zone-share.js';

/**
 * Default subset size. 32 connections per client keep a replica's connection count at
 * ≈ clients × 32 ÷ replicas (a 10 000-client fleet over 1 000 replicas: ≈ 320 per replica, each a
 * health stream and a keepalive ping), while a client still spreads over enough replicas that
 * one slow or dead member costs it ≈ 3 % of its capacity. Twitter's aperture and Google's
 * subsetting run in the same range (tens of backends per client).
 */
export const DEFAULT_SUBSET_SIZE = 32;

export interface SubsetOptions {
  /** Healthy members wanted (the subset grows past unusable ones to keep this many). */
  readonly size: number;
  /** Stable identity of this client: the same id always gets the same subset. */
  readonly clientId: string;
  /** The client's zone: its members come from there first (see `localZoneShare`). */
  readonly zone?: string;
  /** Share of `size` kept in other zones while the local zone is healthy, so a retry can fail over at once. */
  readonly standbyShare?: number;
  readonly overprovisioningFactor?: number;
  /**
   * How long a member seen down keeps its place before it is replaced (see
   * `DEFAULT_HOLD_DOWN_MS`); 0 replaces it at once. Used by `SubsetMembership`.
   */
  readonly holdDownMs?: number;
}

/** Default standby share: a quarter of the members live in other zones. */
export const DEFAULT_STANDBY_SHARE = 0.25;

/**
 * Rendezvous (highest-random-weight) subsetting, as in gRFC A68's random subsetting but with a
 * stable per-client order: every endpoint gets the score murmur3(endpoint id, seed = hash of the
 * client id) and the client takes the highest-scoring ones. An endpoint that joins or leaves
 * changes only the subsets it ranks into or out of, so 1 % of replicas churning moves ≈ 1 % of
 * connections, the minimum. The order ranks each zone apart: the client's zone gives
 * `size − standby` members, the other zones `standby` (more when the local zone is short, by
 * Envoy's overprovisioning rule). Within each part the scan goes past members that `usable` says
 * are down or ejected until it has the healthy count wanted, keeping at most as many unusable ones
 * as it wants healthy ones (they stay connected and health-checked, so their recovery is seen).
 */
export function rendezvousSubset(
  endpoints: readonly Endpoint[],
  usable: (id: string) => boolean,
  options: SubsetOptions,
): readonly Endpoint[] {
  if (endpoints.length <= options.size) return endpoints;
  return chooseSubset(rankEndpoints(endpoints, options), usable, options);
}

/** Each zone part of the endpoints in this client's rendezvous order (best first). */
export interface Ranking {
  readonly local: readonly Endpoint[];
  readonly remote: readonly Endpoint[];
}

/**
 * The client's order over `endpoints`: depends only on the list, the client id and its zone, so
 * a caller that re-chooses on every health change ranks once per list.
 */
export function rankEndpoints(
  endpoints: readonly Endpoint[],
  options: Pick<SubsetOptions, 'clientId' | 'zone'>,
): Ranking {
  const seed = murmur3(options.clientId);
  const zone = options.zone;
  const local: Ranked[] = [];
  const remote: Ranked[] = [];
  for (const endpoint of endpoints) {
    const ranked = { endpoint, score: murmur3(endpoint.id, seed) };
    (zone !== undefined && zoneOf(endpoint) === zone ? local : remote).push(ranked);
  }
  return { local: sorted(local), remote: sorted(remote) };
}

/** The subset for a ranking: see `rendezvousSubset`. */
export function chooseSubset(
  ranking: Ranking,
  usable: (id: string) => boolean,
  options: SubsetOptions,
): readonly Endpoint[] {
  const size = options.size;
  const { local, remote } = ranking;
  if (local.length + remote.length <= size) return [...local, ...remote];
  if (local.length === 0) return take(remote, size, usable).members;
  // No standby can come from other zones that have no endpoints: the client zone then takes it all.
  const standby = Math.min(
    remote.length,
    Math.max(1, Math.ceil(size * (options.standbyShare ?? DEFAULT_STANDBY_SHARE))),
  );
  const localPart = take(local, Math.max(1, size - standby), usable);
  const share = localZoneShare(
    localPart.healthy,
    localPart.members.length,
    options.overprovisioningFactor ?? OVERPROVISIONING_FACTOR,
  );
  // A local zone smaller than its part leaves the rest of the size to the other zones.
  const remoteWanted = Math.max(standby, size - localPart.healthy, Math.ceil(size * (1 - share)));
  return [...localPart.members, ...take(remote, remoteWanted, usable).members];
}

interface Ranked {
  readonly endpoint: Endpoint;
  readonly score: number;
}

function sorted(ranked: Ranked[]): Endpoint[] {
  // Ties (a 32-bit collision) fall back to the id, so every client orders them alike.
  ranked.sort((a, b) => b.score - a.score || (a.endpoint.id < b.endpoint.id ? -1 : 1));
  return ranked.map((r) => r.endpoint);
}

/** The best-ranked `wanted` usable endpoints, with the unusable ones ranked among them (at most `wanted`). */
function take(
  ranked: readonly Endpoint[],
  wanted: number,
  usable: (id: string) => boolean,
): { members: Endpoint[]; healthy: number } {
  const members: Endpoint[] = [];
  let healthy = 0;
  let unhealthy = 0;
  for (const endpoint of ranked) {
    if (healthy >= wanted || unhealthy >= wanted) break;
    members.push(endpoint);
    if (usable(endpoint.id)) healthy++;
    else unhealthy++;
  }
  return { members, healthy };
}
