import { MetadataKeys } from '@ballast/core';
import type * as grpc from '@grpc/grpc-js';
import type { PickMetadata } from './picker.js';

// nice-grpc has no per-call wait-for-ready option: callers outside connect() set this key; calls
// through connect() say it in their CallContext instead.
const WAIT_FOR_READY_KEY = MetadataKeys.waitForReady;

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

/** Whether the call asked to wait: grpc-js's metadata option, or our request key. */
export function wantsWaitForReady(metadata: grpc.Metadata): boolean | undefined {
  if (metadata.getOptions().waitForReady) return true;
  const value = metadata.get(WAIT_FOR_READY_KEY)[0];
  if (typeof value !== 'string') return undefined;
  return value !== 'false' && value !== '0';
}

/** The metadata that goes on the wire: a copy without client-internal keys. */
export function wireMetadata(metadata: grpc.Metadata): grpc.Metadata {
  if (metadata.get(WAIT_FOR_READY_KEY).length === 0) return metadata;
  const copy = metadata.clone();
  copy.remove(WAIT_FOR_READY_KEY);
  return copy;
}
