/**
 * Reads a `grpc-retry-pushback-ms` value (gRFC A6): milliseconds to wait before the next attempt,
 * negative meaning "do not retry"; anything that is not a finite number is ignored.
 */
export function parsePushback(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}
