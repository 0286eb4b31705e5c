import { DnsSource } from '@ballast/config';
import {
  CALL_CONTEXT,
  CallContext,
  callContextOf,
  extendOptions,
  MetadataKeys,
  type EndpointSource,
} from '@ballast/core';
import { rpcClientMetrics } from '@ballast/detector';
import { createDeadlineMiddleware } from '@ballast/recovery';
import type { ClientMiddleware } from 'nice-grpc';
import { Metadata } from 'nice-grpc-common';
import type { ClientRecovery } from './client-recovery.js';
import { clientTracing } from './client-tracing.js';
import type { ParsedConnectOptions } from './connect-options.js';
import { DeferredSource } from './deferred-source.js';

/**
 * A client's middlewares, outer → inner: metrics → call context → tracing → deadline → circuit
 * breaker → retry → hedging → (until discovery has answered) waiting for an endpoint. The
 * balanced channel's own layers go under these.
 */
export function clientLayers(
  options: Pick<ParsedConnectOptions, 'metrics' | 'tracing'>,
  { breakers, retry, hedging }: Pick<ClientRecovery, 'breakers' | 'retry' | 'hedging'>,
  source: EndpointSource,
): ClientMiddleware[] {
  const layers: (ClientMiddleware | undefined | false)[] = [
    options.metrics !== false && rpcClientMetrics().middleware,
    callContextLayer,
    options.tracing !== false && clientTracing(),
    createDeadlineMiddleware(),
    breakers?.middleware,
    retry?.middleware,
    hedging?.middleware,
    (source instanceof DeferredSource || source instanceof DnsSource) && waitUntilDiscovered(source),
  ];
  return layers.filter((layer): layer is ClientMiddleware => !!layer);
}

/** Gives each call its CallContext, which every layer under it shares. */
const callContextLayer: ClientMiddleware = (call, options) => {
  if (callContextOf(options) !== undefined) return call.next(call.request, options);
  return call.next(call.request, extendOptions(options, { [CALL_CONTEXT]: new CallContext(call.method.path) }));
};

/** Until discovery has answered once, calls wait for an endpoint instead of failing "no endpoints". */
function waitUntilDiscovered(source: { readonly ready: boolean }): ClientMiddleware {
  return (call, options) => {
    if (source.ready) return call.next(call.request, options);
    const context = callContextOf(options);
    if (context !== undefined) {
      context.waitForReady = true;
      return call.next(call.request, options);
    }
    // A call with no context (one that skipped callContextLayer): the channel reads this key.
    const metadata = Metadata(options.metadata);
    metadata.set(MetadataKeys.waitForReady, '1');
    return call.next(call.request, extendOptions(options, { metadata }));
  };
}
