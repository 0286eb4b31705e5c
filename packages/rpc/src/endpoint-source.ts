import { discover, DnsSource, isDnsTarget } from '@ballast/config';
import { StaticEndpointSource, type EndpointSource, type Logger } from '@ballast/core';
import type { ParsedConnectOptions } from './connect-options.js';
import { DeferredSource } from './deferred-source.js';
import { RpcOptionsError } from './errors.js';

/** Where a client's endpoints come from, and whether connect() made it (and so closes it). */
export interface ClientSource {
  readonly source: EndpointSource;
  /** Only what connect() made is connect()'s to close: a source the caller passed stays theirs. */
  readonly owned: boolean;
}

type SourceOptions = Pick<ParsedConnectOptions, 'endpoints' | 'discover' | 'dns' | 'store'>;

/**
 * connect()'s endpoints: a fixed list, the caller's own source, a registry discovery in `store`,
 * or DNS. Exactly one way must be given; a conflict or a missing part throws naming the option.
 */
export function endpointSource(
  service: string,
  options: SourceOptions,
  logger: Logger,
  parent: Logger | undefined,
): ClientSource {
  const source = sourceOf(service, options, logger, parent);
  const owned = source instanceof DeferredSource || source instanceof DnsSource || Array.isArray(options.endpoints);
  return { source, owned };
}

function sourceOf(service: string, options: SourceOptions, logger: Logger, parent: Logger | undefined): EndpointSource {
  if (options.endpoints && options.discover) {
    throw new RpcOptionsError('connect', 'endpoints', 'give either endpoints or discover, not both');
  }
  if (options.discover !== undefined && isDnsTarget(options.discover)) {
    try {
      return new DnsSource(options.discover, { ...options.dns, logger: parent });
    } catch (error) {
      throw new RpcOptionsError('connect', 'discover', (error as Error).message);
    }
  }
  if (options.dns !== undefined) {
    throw new RpcOptionsError('connect', 'dns', 'dns options need discover: "dns:///host:port"');
  }
  if (options.discover !== undefined) {
    if (!options.store) {
      throw new RpcOptionsError(
        'connect',
        'store',
        `discover: "${options.discover}" needs a store (MemoryStore or EtcdStore)`,
      );
    }
    return new DeferredSource(discover(options.store, options.discover, { logger: parent }), (error) =>
      logger.error({ err: error, discover: options.discover }, `discovery of ${service} failed`),
    );
  }
  if (!options.endpoints) {
    throw new RpcOptionsError(
      'connect',
      'endpoints',
      'give endpoints: ["host:port", …] or discover: "<service>" with a store',
    );
  }
  if (Array.isArray(options.endpoints)) return new StaticEndpointSource(options.endpoints);
  return options.endpoints as EndpointSource;
}
