import { MetadataKeys, systemScheduler, type Clock, type Scheduler } from '@ballast/core';
import { ServerError, Status, type ServerMiddleware } from 'nice-grpc-common';
import { deadlineStorage, type IncomingDeadline } from '../current-deadline.js';

/** Deadlines cross processes as epoch milliseconds, so they are read on the wall clock. */
const wallClock: Clock = { now: () => Date.now() };

export interface DeadlineServerOptions {
  /** Timers; a VirtualScheduler in tests. */
  readonly scheduler?: Scheduler;
  /** Epoch milliseconds (deadlines arrive as absolute times); the scheduler in tests. */
  readonly wallClock?: Clock;
}

/**
 * Server middleware: runs the handler with the incoming deadline in AsyncLocalStorage, and aborts
 * the handler's `signal` when that deadline passes, so work nobody waits for stops; the call then
 * ends with DEADLINE_EXCEEDED.
 */
export function createDeadlineServerMiddleware(options: DeadlineServerOptions = {}): ServerMiddleware {
  const scheduler = options.scheduler ?? systemScheduler;
  const clock = options.wallClock ?? wallClock;
  return async function* deadlineServer(call, context) {
    const at = incomingDeadline(
      context.metadata.get(MetadataKeys.timeoutMs),
      context.metadata.get(MetadataKeys.deadlineAt),
      clock.now(),
    );
    if (at === undefined) return yield* call.next(call.request, context);
    const store: IncomingDeadline = { at };
    const controller = new AbortController();
    const onCancel = () => controller.abort();
    context.signal.addEventListener('abort', onCancel);
    let expired = false;
    const timer = scheduler.setTimeout(
      () => {
        expired = true;
        controller.abort();
      },
      Math.max(0, at - clock.now()),
    );
    try {
      const bounded = { ...context, signal: controller.signal };
      const iterator = deadlineStorage.run(store, () => call.next(call.request, bounded)[Symbol.asyncIterator]());
      // Each step runs inside the store, so handler code after any await still sees the deadline.
      let result = await deadlineStorage.run(store, () => iterator.next());
      while (!result.done) {
        const sent: unknown = yield result.value;
        result = await deadlineStorage.run(store, () => iterator.next(sent as never));
      }
      return result.value;
    } catch (error) {
      if (expired && !context.signal.aborted) {
        throw new ServerError(Status.DEADLINE_EXCEEDED, `the caller's deadline passed while ${call.method.path} ran`);
      }
      throw error;
    } finally {
      scheduler.clearTimeout(timer);
      context.signal.removeEventListener('abort', onCancel);
    }
  };
}

/** The server middleware on real time, as serve() uses it. */
export const deadlinePropagationServerMiddleware: ServerMiddleware = createDeadlineServerMiddleware();

function incomingDeadline(
  timeoutMs: string | undefined,
  grpcDeadlineAt: string | undefined,
  now: number,
): number | undefined {
  const candidates: number[] = [];
  const timeout = Number(timeoutMs);
  if (timeoutMs !== undefined && Number.isFinite(timeout) && timeout >= 0) candidates.push(now + timeout);
  const at = Number(grpcDeadlineAt);
  if (grpcDeadlineAt !== undefined && Number.isFinite(at) && at > 0) candidates.push(at);
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}
