import { ClientError, type CallOptions, type ClientMiddlewareCall } from 'nice-grpc-common';
import { ReplayableRequests } from './replayable-requests.js';

export interface StreamRetryPolicy {
  /** The method may be retried (idempotent, or the caller opted in). */
  readonly allowed: boolean;
  readonly retryableCodes: readonly number[];
  /** Request messages kept for a replay (client-streaming and bidi). */
  readonly maxReplayMessages: number;
  /** Returns to retry after `error`, throws to give up (limits, budget, pushback). */
  decide(error: ClientError, attempt: number): void;
  /** The wait before a retry (backoff or pushback), if any. */
  wait(signal: AbortSignal | undefined): Promise<void> | undefined;
}

/**
 * Retries a streaming call the way gRPC's retry policy does: only while no response message has
 * arrived. Once one has, the caller has seen part of the answer and the call is committed: a
 * later failure ends it. A server-streaming request is one message and is sent again as is; a
 * client-streaming or bidi request stream is kept (see ReplayableRequests) until the first
 * response, and a call that outgrew what is kept is not retried. Each attempt is a new pick on
 * the balanced channel, avoiding the endpoints the call failed on.
 */
export async function* retryStream<Request, Response>(
  call: ClientMiddlewareCall<Request, Response>,
  options: CallOptions,
  policy: StreamRetryPolicy,
): AsyncGenerator<Response, Response | void, undefined> {
  const requests =
    call.requestStream && policy.allowed
      ? new ReplayableRequests(call.request as AsyncIterable<unknown>, policy.maxReplayMessages)
      : undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await policy.wait(options.signal);
      const request = requests ? (requests.attempt() as unknown as Request) : call.request;
      const iterator = call.next(request, options);
      let received = false;
      let done = false;
      try {
        for (;;) {
          const result = await iterator.next();
          if (result.done) {
            done = true;
            return result.value;
          }
          if (!received) {
            received = true;
            requests?.commit();
          }
          yield result.value;
        }
      } catch (error) {
        done = true;
        const retryable =
          policy.allowed &&
          !received &&
          error instanceof ClientError &&
          policy.retryableCodes.includes(error.code) &&
          !options.signal?.aborted &&
          (requests === undefined || requests.replayable);
        if (!retryable) throw error;
        policy.decide(error, attempt);
      } finally {
        // The caller stopped reading early: end this attempt's call too.
        if (!done) await iterator.return(undefined as never);
      }
    }
  } finally {
    await requests?.close();
  }
}
