import { systemClock, type Clock } from '@ballast/core';

export interface BroadcastTarget<C> {
  /** Named in the results: an endpoint id, a replica name. */
  id: string;
  client: C;
}

export type BroadcastResult<T> =
  | { readonly id: string; readonly ok: true; readonly value: T; readonly latencyMs: number }
  | { readonly id: string; readonly ok: false; readonly error: unknown; readonly latencyMs: number };

export interface BroadcastReport<T> {
  readonly results: readonly BroadcastResult<T>[];
  readonly succeeded: number;
  readonly failed: number;
}

/**
 * Dubbo's broadcast: call every target at once (cache invalidation, config push) and report each
 * one's outcome; one failure neither stops nor hides the others. `signal` cancels every call.
 */
export async function broadcast<C, T>(
  targets: readonly BroadcastTarget<C>[],
  call: (client: C, signal: AbortSignal, id: string) => Promise<T>,
  options: { signal?: AbortSignal; clock?: Clock } = {},
): Promise<BroadcastReport<T>> {
  const clock = options.clock ?? systemClock;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort);
  try {
    const results = await Promise.all(
      targets.map(async ({ id, client }): Promise<BroadcastResult<T>> => {
        const started = clock.now();
        try {
          const value = await call(client, controller.signal, id);
          return { id, ok: true, value, latencyMs: clock.now() - started };
        } catch (error) {
          return { id, ok: false, error, latencyMs: clock.now() - started };
        }
      }),
    );
    const succeeded = results.filter((r) => r.ok).length;
    return { results, succeeded, failed: results.length - succeeded };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
