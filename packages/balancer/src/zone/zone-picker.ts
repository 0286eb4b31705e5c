import type { Endpoint, Random } from '@ballast/core';
import type { Pick, Picker, PickRequest } from '../picker.js';
import { localZoneShare, zoneOf } from './zone-share.js';

export interface ZoneSplit {
  /** The eligible endpoints in the client's zone, and those elsewhere. */
  readonly local: readonly Endpoint[];
  readonly remote: readonly Endpoint[];
  /** Share of first attempts the local zone takes. */
  readonly localShare: number;
}

/**
 * Splits the eligible endpoints by the client's zone. The local share compares the eligible local
 * endpoints with all local ones the client has (its subset's local part, or the whole zone).
 */
export function splitByZone(
  all: readonly Endpoint[],
  eligible: readonly Endpoint[],
  zone: string,
  overprovisioningFactor?: number,
): ZoneSplit {
  let total = 0;
  for (const endpoint of all) if (zoneOf(endpoint) === zone) total++;
  const local: Endpoint[] = [];
  const remote: Endpoint[] = [];
  for (const endpoint of eligible) (zoneOf(endpoint) === zone ? local : remote).push(endpoint);
  return { local, remote, localShare: localZoneShare(local.length, total, overprovisioningFactor) };
}

/**
 * Zone-aware routing over two child pickers built by any policy: the local zone's takes
 * `localShare` of first attempts, the other zones' (one picker over all of them, so each zone gets
 * calls in proportion to its healthy endpoints) the rest. A retry of a call that already tried a
 * local endpoint goes to the other zones, as Envoy's previous-priorities retry plugin does: a
 * zone that just died costs each call one attempt, not all of them. O(1) on top of the children.
 */
export class ZonePicker implements Picker {
  readonly endpoints: readonly Endpoint[];
  readonly #localIds: ReadonlySet<string>;

  constructor(
    readonly local: Picker,
    readonly remote: Picker,
    readonly localShare: number,
    private readonly random: Random,
  ) {
    this.endpoints = [...local.endpoints, ...remote.endpoints];
    this.#localIds = new Set(local.endpoints.map((e) => e.id));
  }

  pick(request: PickRequest): Pick {
    if (request.exclude.size > 0 && this.#triedLocally(request.exclude)) return this.remote.pick(request);
    return this.random() < this.localShare ? this.local.pick(request) : this.remote.pick(request);
  }

  #triedLocally(exclude: ReadonlySet<string>): boolean {
    for (const id of exclude) if (this.#localIds.has(id)) return true;
    return false;
  }
}

/** A zone picker over `eligible`, each part's picker built by `build` (the channel's policy). */
export function zonePicker(
  all: readonly Endpoint[],
  eligible: readonly Endpoint[],
  zone: string,
  build: (endpoints: readonly Endpoint[]) => Picker,
  random: Random,
  overprovisioningFactor?: number,
): Picker {
  const split = splitByZone(all, eligible, zone, overprovisioningFactor);
  if (split.local.length === 0 || split.remote.length === 0) return build(eligible);
  return new ZonePicker(build(split.local), build(split.remote), split.localShare, random);
}
