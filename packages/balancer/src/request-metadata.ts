import type * as grpc from '@grpc/grpc-js';
import { CLIENT_INTERNAL_KEYS, MetadataKeys } from '@ballast/core';
import type { PickMetadata } from './picker.js';

/**
 * Client-internal request key: any value but "false"/"0" asks this call to wait for an endpoint
 * up to its deadline instead of failing fast (nice-grpc has no per-call wait-for-ready option).
 * Stripped before the wire like `ballast-exclude`.
 */
export const WAIT_FOR_READY_KEY = 'ballast-wait-for-ready';

const STRIPPED = [...CLIENT_INTERNAL_KEYS, WAIT_FOR_READY_KEY];
const NONE: ReadonlySet<string> = new Set();

/** First string value of each key, as the picker reads it. */
export function pickMetadata(metadata: grpc.Metadata): PickMetadata {
  return new MetadataView(metadata);
}

class MetadataView implements PickMetadata {
  constructor(private readonly metadata: grpc.Metadata) {}
  get(key: string): string | undefined {
    const value = this.metadata.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  }
}

/** The call's `ballast-call` token, when its attempts should be kept on distinct endpoints. */
export function callToken(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get(MetadataKeys.call)[0];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Endpoint ids in every `ballast-exclude` value, comma-separated, blanks ignored. */
export function excludedIds(metadata: grpc.Metadata): ReadonlySet<string> {
  const values = metadata.get(MetadataKeys.exclude);
  if (values.length === 0) return NONE;
  const ids = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string') continue;
    for (const id of value.split(',')) {
      const trimmed = id.trim();
      if (trimmed) ids.add(trimmed);
    }
  }
  return ids;
}

/** Whether the call asked to wait: grpc-js's metadata option, or our request key. */
export function wantsWaitForReady(metadata: grpc.Metadata): boolean | undefined {
  if (metadata.getOptions().waitForReady) return true;
  const value = metadata.get(WAIT_FOR_READY_KEY)[0];
  if (typeof value !== 'string') return undefined;
  return value !== 'false' && value !== '0';
}

/** The metadata that goes on the wire: a copy without client-internal keys. */
export function wireMetadata(metadata: grpc.Metadata): grpc.Metadata {
  if (!hasAny(metadata, STRIPPED)) return metadata;
  const copy = metadata.clone();
  for (const key of STRIPPED) copy.remove(key);
  return copy;
}

function hasAny(metadata: grpc.Metadata, keys: readonly string[]): boolean {
  for (const key of keys) if (metadata.get(key).length > 0) return true;
  return false;
}
