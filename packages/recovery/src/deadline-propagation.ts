import { callContextOf, extendOptions, MetadataKeys, systemScheduler, type Clock, type Scheduler } from '@ballast/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import {
  Metadata,
  ServerError,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ServerMiddleware,
} from 'nice-grpc-common';
import { z } from 'zod';
import { chainMiddleware } from './compose.js';
import { parseOptions } from './parse-options.js';

const TIMEOUT_METADATA_KEY = MetadataKeys.timeoutMs;
const DEADLINE_METADATA_KEY = MetadataKeys.deadlineAt;

export interface IncomingDeadline {
  /** Absolute deadline, epoch milliseconds. */
  readonly at: number;
}

const storage = new AsyncLocalStorage<IncomingDeadline>();

/** The deadline of the server call being handled, if it had one. */
export function currentDeadline(): IncomingDeadline | undefined {
  return storage.getStore();
}

/**
 * grpc-js server interceptor (pass in `createServer({ interceptors: [deadlineInterceptor] })`)
 * that hands the call's deadline to `deadlinePropagationServerMiddleware` through metadata.
 */
export const deadlineInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          metadata.remove(DEADLINE_METADATA_KEY);
          const deadline = call.getDeadline();
          const at = deadline instanceof Date ? deadline.getTime() : deadline;
          if (Number.isFinite(at)) metadata.set(DEADLINE_METADATA_KEY, String(at));
          nextMetadata(metadata);
        },
      });
    },
  });

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
      context.metadata.get(TIMEOUT_METADATA_KEY),
      context.metadata.get(DEADLINE_METADATA_KEY),
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
      const iterator = storage.run(store, () => call.next(call.request, bounded)[Symbol.asyncIterator]());
      // Each step runs inside the store, so handler code after any await still sees the deadline.
      let result = await storage.run(store, () => iterator.next());
      while (!result.done) {
        const sent: unknown = yield result.value;
        result = await storage.run(store, () => iterator.next(sent as never));
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

export const deadlineOptionsSchema = z.object({
  /** Kept back from the incoming deadline for the work after the downstream call returns. */
  marginMs: z.number().finite().min(0).default(20),
});
export type DeadlinePropagationOptions = z.input<typeof deadlineOptionsSchema>;

/**
 * Client middleware: nice-grpc-client-middleware-deadline, plus, when the call is made while a
 * server call is handled, a deadline no later than that call's deadline minus `marginMs`; the
 * remaining time is sent along so the next server can do the same: as `grpc-timeout` when the
 * call has a CallContext (under balancedUnary), else in the `ballast-timeout-ms` header.
 */
export function createDeadlineMiddleware(options: DeadlinePropagationOptions = {}): ClientMiddleware<DeadlineOptions> {
  const o = parseOptions(deadlineOptionsSchema, options, 'deadline', { marginMs: 'a number of milliseconds ≥ 0' });
  // Only prepares what goes down, so it hands back the library's generator instead of wrapping it.
  const propagate: ClientMiddleware<DeadlineOptions> = (call, options) => {
    const incoming = storage.getStore();
    const inherited = incoming === undefined ? Infinity : incoming.at - o.marginMs;
    const own =
      options.deadline === undefined
        ? Infinity
        : options.deadline instanceof Date
          ? options.deadline.getTime()
          : Date.now() + options.deadline;
    const at = Math.min(own, inherited);
    if (at === Infinity) return call.next(call.request, options);
    const remainingMs = Math.max(0, Math.round(at - Date.now()));
    const context = callContextOf(options);
    if (context !== undefined) {
      // Under balancedUnary the deadline goes with each attempt as grpc-js's own, which sends it
      // on the wire as the standard `grpc-timeout`: no header of ours needed.
      context.deadlineAt = at;
      return call.next(call.request, extendOptions(options, { deadline: remainingMs }) as CallOptions);
    }
    const metadata = Metadata(options.metadata);
    metadata.set(TIMEOUT_METADATA_KEY, String(remainingMs));
    // The library reads a number as ms from now, which spares a Date per call.
    return call.next(call.request, extendOptions(options, { metadata, deadline: remainingMs }) as CallOptions);
  };
  return chainMiddleware([propagate, deadlineMiddleware as ClientMiddleware]);
}
