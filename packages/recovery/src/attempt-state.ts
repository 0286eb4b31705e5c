/**
 * What the layers of one call share across its attempts. The retry middleware creates it above
 * nice-grpc's retry loop and passes it down through call options, so the per-attempt layer below
 * the loop can remember which endpoints failed and what the server asked for.
 */
export interface AttemptState {
  /** Attempts started so far (0 before the first). */
  attempts: number;
  /** Endpoints that failed an attempt of this call, from the `ballast-endpoint` trailer; made on the first failure. */
  failedEndpoints: Set<string> | undefined;
  /** The endpoint named by the latest attempt's trailer. */
  lastEndpoint: string | undefined;
  /** From the last attempt's `grpc-retry-pushback-ms` trailer, if any. */
  pushbackMs: number | undefined;
}

/** The call-option key carrying AttemptState; client-internal, never sent. */
export const ATTEMPT_STATE = 'ballastAttemptState' as const;

export type AttemptStateOptions = { [ATTEMPT_STATE]?: AttemptState };

/** Parses a pushback trailer: a number of ms, negative = do not retry; garbage is ignored. */
export function parsePushback(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}
