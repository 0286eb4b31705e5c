import { ValueTooLargeError } from './errors.js';

/** etcd's default --max-request-bytes (1.5 MiB). */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** Room left for the request envelope (key, lease, compare, gRPC framing). */
const ENVELOPE_BYTES = 1024;

/** Throws ValueTooLargeError when a put would exceed etcd's request limit, before anything is sent. */
export function checkValueSize(key: string, value: string, limitBytes = MAX_REQUEST_BYTES): void {
  const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
  if (bytes > limitBytes - ENVELOPE_BYTES) throw new ValueTooLargeError(key, bytes, limitBytes - ENVELOPE_BYTES);
}
