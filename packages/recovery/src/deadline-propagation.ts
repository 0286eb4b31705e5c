import { AsyncLocalStorage } from 'node:async_hooks';
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import {
  composeClientMiddleware,
  type CallOptions,
  type ClientMiddleware,
  type ServerMiddleware,
} from 'nice-grpc-common';
import { z } from 'zod';
import { parseOptions } from './parse-options.js';

/**
 * Server-internal metadata key carrying the incoming call's absolute deadline (epoch ms).
 * grpc-js strips `grpc-timeout` before handlers see metadata, so an interceptor re-exposes it;
 * it always overwrites what a client sent under this key.
 */
export const DEADLINE_METADATA_KEY = 'ballast-deadline-at';

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

/** Server middleware: runs the handler with the incoming deadline in AsyncLocalStorage. */
export const deadlinePropagationServerMiddleware: ServerMiddleware = async function* deadlineServer(call, context) {
  const at = Number(context.metadata.get(DEADLINE_METADATA_KEY));
  if (!Number.isFinite(at) || at <= 0) return yield* call.next(call.request, context);
  const store: IncomingDeadline = { at };
  const iterator = storage.run(store, () => call.next(call.request, context)[Symbol.asyncIterator]());
  // Each step runs inside the store, so handler code after any await still sees the deadline.
  let result = await storage.run(store, () => iterator.next());
  while (!result.done) {
    const sent: unknown = yield result.value;
    result = await storage.run(store, () => iterator.next(sent as never));
  }
  return result.value;
};

export const deadlineOptionsSchema = z.object({
  /** Kept back from the incoming deadline for the work after the downstream call returns. */
  marginMs: z.number().finite().min(0).default(20),
});
export type DeadlinePropagationOptions = z.input<typeof deadlineOptionsSchema>;

/**
 * Client middleware: nice-grpc-client-middleware-deadline, plus, when the call is made while a
 * server call is handled, a deadline no later than that call's deadline minus `marginMs`.
 */
export function createDeadlineMiddleware(options: DeadlinePropagationOptions = {}): ClientMiddleware<DeadlineOptions> {
  const o = parseOptions(deadlineOptionsSchema, options, 'deadline', { marginMs: 'a number of milliseconds ≥ 0' });
  const propagate: ClientMiddleware<DeadlineOptions> = async function* propagate(call, options) {
    const incoming = storage.getStore();
    if (incoming === undefined) return yield* call.next(call.request, options);
    const inherited = incoming.at - o.marginMs;
    const own =
      options.deadline === undefined
        ? Infinity
        : options.deadline instanceof Date
          ? options.deadline.getTime()
          : Date.now() + options.deadline;
    const deadline = new Date(Math.min(own, inherited));
    return yield* call.next(call.request, { ...options, deadline } as CallOptions);
  };
  return composeClientMiddleware(deadlineMiddleware, propagate);
}
