import type { Endpoint } from '@ballast/core';
import type { KeyValue } from './kv-store.js';
import { parseRegistryEntry, type RegistryRejectReason } from './registry-entry.js';

export interface RegistryRejection {
  readonly key: string;
  readonly modRevision: number;
  readonly reason: RegistryRejectReason;
  readonly detail: string;
}

export interface RegistrySelection {
  /** Valid entries, one per id, sorted by id: a list the balancer always accepts. */
  readonly endpoints: readonly Endpoint[];
  readonly rejected: readonly RegistryRejection[];
}

/**
 * Turns the keys under one service's prefix into endpoints. Invalid entries are left out, each with
 * its reason; when two valid entries claim one id, the one created first (lowest create revision,
 * then lowest key) is kept, so every watcher picks the same one and a later impostor cannot
 * displace a live instance. One bad entry never affects the others.
 */
export function selectRegistryEntries(prefix: string, kvs: Iterable<KeyValue>): RegistrySelection {
  const ordered = [...kvs].sort(
    (a, b) => a.createRevision - b.createRevision || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const byId = new Map<string, Endpoint>();
  const rejected: RegistryRejection[] = [];
  for (const kv of ordered) {
    const parsed = parseRegistryEntry(kv.key, kv.value, prefix);
    if (!parsed.ok) {
      rejected.push({ key: kv.key, modRevision: kv.modRevision, reason: parsed.kind, detail: parsed.reason });
      continue;
    }
    const id = parsed.endpoint.id;
    if (byId.has(id)) {
      rejected.push({
        key: kv.key,
        modRevision: kv.modRevision,
        reason: 'duplicate-id',
        detail: `id "${id}" is already registered by an older entry`,
      });
      continue;
    }
    byId.set(id, parsed.endpoint);
  }
  const endpoints = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { endpoints, rejected };
}
