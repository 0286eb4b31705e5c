import type { Endpoint, Random } from '@ballast/core';
import { isExcluded } from '../exclude.js';
import { murmur3 } from '../murmur3.js';
import { plainPick, type Pick, type Picker, type PickRequest, type Policy, type PolicyFactory } from '../picker.js';
import { readHashKey, type HashKey, type MaglevOptions } from '../policy-options.js';
import { normalizedWeights } from './normalized-weights.js';

/** Primes the table grows through when there are too many endpoints for the configured size. */
const LARGER_PRIMES = [131_071, 262_139, 524_287, 1_048_573, 2_097_143, 4_194_301, 8_388_593, 16_777_213];

/** Below this many table slots per endpoint the shares get coarse, so the table grows. */
const MIN_SLOTS_PER_ENDPOINT = 8;

/**
 * Maglev (Google, NSDI '16) with Envoy's weighting: a lookup table of prime size filled from each
 * endpoint's own permutation, so every endpoint owns a share of slots in proportion to its weight
 * (equal weights: within one slot of each other) and a removal moves about 1/N of keys. O(1) pick.
 */
export const maglev: PolicyFactory<MaglevOptions> = ({ options, random }): Policy => {
  const { hashKey } = options;
  return {
    name: 'maglev',
    picker: (endpoints) => new MaglevPicker(endpoints, hashKey, random, options.tableSize),
  };
};

export class MaglevPicker implements Picker {
  readonly #picks: readonly Pick[];
  readonly table: Int32Array;

  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly hashKey: HashKey,
    private readonly random: Random,
    tableSize: number,
  ) {
    this.#picks = endpoints.map(plainPick);
    this.table = buildTable(endpoints, chooseTableSize(tableSize, endpoints.length));
  }

  pick(request: PickRequest): Pick {
    const key = readHashKey(this.hashKey, request.metadata, request.method);
    if (key === undefined) return this.#picks[Math.floor(this.random() * this.endpoints.length)]!;
    return this.#picks[this.ownerOf(murmur3(key), request.exclude)]!;
  }

  ownerOf(hash: number, exclude: ReadonlySet<string> = new Set()): number {
    const table = this.table;
    const slot = hash % table.length;
    const owner = table[slot]!;
    if (!isExcluded(this.endpoints[owner]!, exclude)) return owner;
    for (let step = 1; step < table.length; step++) {
      const next = table[(slot + step) % table.length]!;
      if (!isExcluded(this.endpoints[next]!, exclude)) return next;
    }
    return owner;
  }
}

export function chooseTableSize(configured: number, endpoints: number): number {
  if (endpoints * MIN_SLOTS_PER_ENDPOINT <= configured) return configured;
  const needed = endpoints * MIN_SLOTS_PER_ENDPOINT;
  return LARGER_PRIMES.find((p) => p >= needed && p >= configured) ?? LARGER_PRIMES[LARGER_PRIMES.length - 1]!;
}

function buildTable(endpoints: readonly Endpoint[], size: number): Int32Array {
  const weights = normalizedWeights(endpoints);
  const maxWeight = weights.reduce((a, b) => Math.max(a, b), 0);
  const n = endpoints.length;
  const offset = new Float64Array(n);
  const skip = new Float64Array(n);
  const next = new Float64Array(n);
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = endpoints[i]!.id;
    offset[i] = murmur3(id, 0x9747b28c) % size;
    skip[i] = (murmur3(id, 0x5bd1e995) % (size - 1)) + 1;
  }
  const table = new Int32Array(size).fill(-1);
  let filled = 0;
  for (let iteration = 1; filled < size; iteration++) {
    for (let i = 0; i < n && filled < size; i++) {
      const weight = weights[i]!;
      // An endpoint of weight w places a slot on every (max / w)-th round: shares follow weights.
      if (weight === 0 || iteration * weight < target[i]!) continue;
      target[i] = target[i]! + maxWeight;
      let slot = (offset[i]! + skip[i]! * next[i]!) % size;
      while (table[slot] !== -1) {
        next[i] = next[i]! + 1;
        slot = (offset[i]! + skip[i]! * next[i]!) % size;
      }
      table[slot] = i;
      next[i] = next[i]! + 1;
      filled++;
    }
  }
  return table;
}
