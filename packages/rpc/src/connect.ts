import type { BalancedChannel } from '@ballast/balancer';
import { parseOptions, partLogger } from '@ballast/core';
import type { Client } from 'nice-grpc';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import { balancedClient } from './balanced-client.js';
import { defaultCallOptions, type BallastCallOptions } from './ballast-call-options.js';
import { clientHealth, type ClientHealth } from './client-health.js';
import { clientLayers } from './client-layers.js';
import { clientRecovery, type ClientRecovery } from './client-recovery.js';
import { clientTable, type ClientTable } from './client-table.js';
import { connectOptionsSchema, type ConnectOptions } from './connect-options.js';
import { registerConnection } from './connection.js';
import { endpointSource } from './endpoint-source.js';
import { RpcOptionsError } from './errors.js';
import { parsePlacement } from './placement-options.js';

/**
 * A nice-grpc client for `definition` whose calls go, outer to inner, through metrics → tracing →
 * deadline → circuit breaker → retry (budgeted, failover) → hedging → a balanced channel that
 * the failure detector steers. Every unary call has one CallContext that these layers share in
 * process. Close it with `disconnect(client)`. Every option is checked here: a bad one throws
 * now, naming the field, never at the first call.
 */
export function connect<D extends CompatServiceDefinition>(
  definition: D,
  input: ConnectOptions,
): Client<D, BallastCallOptions> {
  const service = serviceName(definition);
  const options = parseOptions(connectOptionsSchema, input, '', { error: RpcOptionsError.factory('connect') });
  const methodOptions = defaultCallOptions(definition, options);
  const placement = parsePlacement(options);
  // The caller's logger, bound to this client, is the parent of every part's logger (table,
  // channels, detector, retry…); connect()'s own records are its `ballast.rpc.connect` child.
  const parent = options.logger?.child({ client: service });
  const logger = partLogger('rpc', 'connect', options.logger).child({ client: service });
  const { source, owned } = endpointSource(service, options, logger, parent);

  // Everything below that can throw on a bad option runs before a connection or a timer exists,
  // or cleans up after itself: a throwing connect() leaves nothing running.
  let endpoints: ClientTable | undefined;
  let health: ClientHealth | undefined;
  let recovery: ClientRecovery | undefined;
  let channels: readonly BalancedChannel[] = [];
  const closeParts = () => {
    for (const channel of channels) channel.close();
    health?.close();
    recovery?.close();
    endpoints?.close();
  };
  try {
    endpoints = clientTable(options, source, placement, parent);
    const { table, certificates } = endpoints;
    health = clientHealth(options, { service, table, source, placement, parent });
    recovery = clientRecovery(options, parent);
    const layers = clientLayers(options, recovery, source);
    const built = balancedClient(definition, options, {
      service,
      table,
      placement,
      health: health.view,
      outcomes: health.outcomes,
      layers,
      methodOptions,
      parent,
    });
    channels = built.channels;

    let closing: Promise<void> | undefined;
    registerConnection(built.client, {
      service,
      source,
      table,
      channels,
      detector: health.detector,
      endpointBreakers: health.endpointBreakers,
      retry: recovery.retry,
      hedging: recovery.hedging,
      breakers: recovery.breakers,
      certificates,
      close: () =>
        (closing ??= (async () => {
          closeParts();
          if (owned) await source.close?.();
          logger.info({ channels: channels.length }, 'client closed');
        })()),
    });
    return built.client;
  } catch (error) {
    closeParts();
    if (owned) void source.close?.();
    throw error;
  }
}

function serviceName(definition: CompatServiceDefinition): string {
  return 'fullName' in definition && typeof definition.fullName === 'string' ? definition.fullName : 'service';
}
