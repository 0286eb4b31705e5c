import * as grpc from '@grpc/grpc-js';
import { CallContext, callContextOf, type CallContextOptions } from '@ballast/core';
import { createClient, type Channel } from 'nice-grpc';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import type { CallOptions, ClientMiddleware, ClientMiddlewareCall } from 'nice-grpc-common';
import type { BalancedChannel } from './balanced-channel.js';

type AnyMethod = (request: unknown, options: CallOptions) => AsyncIterable<unknown> | Promise<unknown>;

/**
 * The innermost middleware for streaming calls over a balanced channel, beside `balancedUnary`:
 * each attempt of a server-streaming, client-streaming or bidi call is issued on the channel
 * with the call's CallContext, so its pick avoids the endpoints the call already failed on, its
 * outcome is written back for the retry layer, and its deadline goes on the wire. The stream
 * itself (flow control, request piping, cancellation) is nice-grpc's own, over a channel view
 * that hands every call this context. Unary calls go on unchanged.
 *
 * Use it next to `balancedUnary`, both innermost:
 * `createClientFactory().use(balancedUnary(channel, D)).use(balancedStreams(channel, D)).use(retry.middleware)`.
 */
export function balancedStreams(
  channel: BalancedChannel,
  definition: CompatServiceDefinition,
): ClientMiddleware<CallContextOptions> {
  // Client method name by path: grpc-js definitions carry the path, ts-proto ones the RPC name.
  const fullName = 'fullName' in definition && typeof definition.fullName === 'string' ? definition.fullName : '';
  const methods = ('methods' in definition ? definition.methods : definition) as Record<
    string,
    { path?: string; name?: string }
  >;
  const methodNames = new Map<string, string>();
  for (const [key, method] of Object.entries(methods)) {
    methodNames.set(method.path ?? `/${fullName}/${method.name ?? key}`, key);
  }
  return <Request, Response>(call: ClientMiddlewareCall<Request, Response>, options: CallOptions) => {
    if (!call.requestStream && !call.responseStream) return call.next(call.request, options);
    const context = callContextOf(options) ?? new CallContext(call.method.path);
    const name = methodNames.get(call.method.path);
    if (name === undefined) return call.next(call.request, options);
    const client = createClient(definition, contextChannel(channel, context)) as unknown as Record<string, AnyMethod>;
    const method = client[name]!;
    return stream<Response>(method, call.request, options, call.responseStream);
  };
}

async function* stream<Response>(
  method: AnyMethod,
  request: unknown,
  options: CallOptions,
  responseStream: boolean,
): AsyncGenerator<Response, Response | void, undefined> {
  const result = method(request, options);
  if (responseStream) {
    yield* result as AsyncIterable<Response>;
    return;
  }
  return (await result) as Response;
}

/**
 * The balanced channel as one call sees it: every call it creates carries `context`, and the
 * context's deadline (nice-grpc gives streaming calls none of grpc-js's own).
 */
function contextChannel(channel: BalancedChannel, context: CallContext): Channel {
  const view: grpc.ChannelInterface = {
    close: () => {},
    getTarget: () => channel.getTarget(),
    getConnectivityState: (tryToConnect) => channel.getConnectivityState(tryToConnect),
    watchConnectivityState: (current, deadline, callback) =>
      channel.watchConnectivityState(current, deadline, callback),
    getChannelzRef: () => channel.getChannelzRef(),
    createCall: (method, deadline) => {
      const given = deadline instanceof Date ? deadline.getTime() : deadline;
      return channel.createContextCall(method, Math.min(given, context.deadlineAt), context);
    },
  };
  return view as unknown as Channel;
}
