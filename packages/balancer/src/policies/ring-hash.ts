import type { Endpoint, Random } from '@ballast/core';
import { PickerBuildError } from '../errors.js';
import { isExcluded } from '../exclude.js';
import { murmur3 } from '../murmur3.js';
import { plainPick, type Pick, type Picker, type PickRequest, type Policy, type PolicyFactory } from '../picker.js';
import { readHashKey, type HashKey, type RingHashOptions } from '../policy-options.js';
import { normalizedWeights } from './normalized-weights.js';

/** Packing (hash, endpoint index) into one double lets the ring sort natively as a Float64Array. */
const INDEX_BITS = 2 ** 21;

/**
 * Ketama-style consistent hashing, sized like Envoy's ring_hash: each endpoint gets virtual nodes
 * in proportion to its weight, the least-weighted one at least ceil(minRingSize × its share), and
 * the ring stays near maxRingSize at most. Removing 1 of N endpoints moves only the keys it owned (≈ 1/N).
 */
export const ringHash: PolicyFactory<RingHashOptions> = ({ options, random }): Policy => {
  const { hashKey } = options;
  return {
    name: 'ring-hash',
    picker: (endpoints) => new RingHashPicker(endpoints, hashKey, random, options.minRingSize, options.maxRingSize),
  };
};

export class RingHashPicker implements Picker {
  readonly #picks: readonly Pick[];
  readonly #ring: Float64Array;

  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly hashKey: HashKey,
    private readonly random: Random,
    minRingSize: number,
    maxRingSize: number,
  ) {
    if (endpoints.length >= INDEX_BITS) {
      throw new PickerBuildError(`ring-hash supports up to ${INDEX_BITS - 1} endpoints, got ${endpoints.length}`);
    }
    this.#picks = endpoints.map(plainPick);
    this.#ring = buildRing(endpoints, minRingSize, maxRingSize);
  }

  get ringSize(): number {
    return this.#ring.length;
  }

  pick(request: PickRequest): Pick {
    const key = readHashKey(this.hashKey, request.metadata, request.method);
    if (key === undefined) {
      // No key, no stickiness to keep: spread like random rather than pile onto one endpoint.
      return this.#picks[Math.floor(this.random() * this.endpoints.length)]!;
    }
    return this.#picks[this.ownerOf(murmur3(key), request.exclude)]!;
  }

  /** Index of the endpoint owning `hash`: the first ring entry at or after it, wrapping. */
  ownerOf(hash: number, exclude: ReadonlySet<string> = new Set()): number {
    const ring = this.#ring;
    const target = hash * INDEX_BITS;
    let low = 0;
    let high = ring.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ring[mid]! < target) low = mid + 1;
      else high = mid;
    }
    const first = low % ring.length;
    const owner = ring[first]! % INDEX_BITS;
    if (!isExcluded(this.endpoints[owner]!, exclude)) return owner;
    // Walk on round the ring, as Envoy does, to the next endpoint the caller did not exclude.
    for (let step = 1; step < ring.length; step++) {
      const next = ring[(first + step) % ring.length]! % INDEX_BITS;
      if (!isExcluded(this.endpoints[next]!, exclude)) return next;
    }
    return owner;
  }
}

function buildRing(endpoints: readonly Endpoint[], minRingSize: number, maxRingSize: number): Float64Array {
  const weights = normalizedWeights(endpoints);
  let minWeight = 1;
  for (const w of weights) if (w > 0 && w < minWeight) minWeight = w;
  // Envoy sizes the ring so the lightest endpoint gets ceil(minRingSize × its share) entries. That
  // count is rounded up to a power of two here, so removing one of N endpoints does not resize
  // every other endpoint's share (and move their keys) unless it crosses a power of two.
  const lightest = 2 ** Math.ceil(Math.log2(Math.ceil(minWeight * minRingSize)));
  const scale = Math.min(lightest / minWeight, maxRingSize);
  const entries: number[] = [];
  for (let index = 0; index < endpoints.length; index++) {
    const weight = weights[index]!;
    if (weight === 0) continue;
    const count = Math.max(1, Math.round(scale * weight));
    const id = endpoints[index]!.id;
    for (let replica = 0; replica < count; replica++) entries.push(murmur3(`${id}_${replica}`) * INDEX_BITS + index);
  }
  return Float64Array.from(entries).sort();
}
