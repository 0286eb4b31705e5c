import { callContextOf, extendOptions, MetadataKeys, parseOptions } from '@ballast/core';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { Metadata, type CallOptions, type ClientMiddleware } from 'nice-grpc-common';
import { z } from 'zod';
import { invalidRecoveryOption } from '../errors.js';
import { currentDeadline } from '../current-deadline.js';
import { chainMiddleware } from './chain-middleware.js';

export const deadlineOptionsSchema = z.strictObject({
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
  const o = parseOptions(deadlineOptionsSchema, options, 'deadline', { error: invalidRecoveryOption });
  // Only prepares what goes down, so it hands back the library's generator instead of wrapping it.
  const propagate: ClientMiddleware<DeadlineOptions> = (call, options) => {
    const incoming = currentDeadline();
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
    metadata.set(MetadataKeys.timeoutMs, String(remainingMs));
    // The library reads a number as ms from now, which spares a Date per call.
    return call.next(call.request, extendOptions(options, { metadata, deadline: remainingMs }) as CallOptions);
  };
  return chainMiddleware([propagate, deadlineMiddleware as ClientMiddleware]);
}
