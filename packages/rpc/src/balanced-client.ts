import {
  balancedStreams,
  balancedUnary,
  createBalancedChannel,
  type BalancedChannel,
  type EndpointTable,
} from '@ballast/balancer';
import type { HealthView, Logger, OutcomeListener } from '@ballast/core';
import { chainMiddleware } from '@ballast/recovery';
import { createClientFactory, type Channel, type Client, type ClientMiddleware } from 'nice-grpc';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import type { BallastCallOptions } from './ballast-call-options.js';
import type { MethodOverrides, ParsedConnectOptions } from './connect-options.js';
import type { Placement } from './placement-options.js';

export interface BalancedClientParts {
  readonly service: string;
  readonly table: EndpointTable;
  readonly placement: Placement;
  /** What the channels let through. */
  readonly health: HealthView;
  /** Who hears each attempt's outcome. */
  readonly outcomes: readonly OutcomeListener[];
  /** The client's middlewares, outer → inner, above the channel's own. */
  readonly layers: readonly ClientMiddleware[];
  /** nice-grpc's default call options per method. */
  readonly methodOptions: Record<string, Record<string, unknown>>;
  /** The parent of the channels' loggers. */
  readonly parent: Logger | undefined;
}

/** A client over balanced channels, and the channels, which its owner closes. */
export interface BalancedClient<D extends CompatServiceDefinition> {
  readonly client: Client<D, BallastCallOptions>;
  readonly channels: readonly BalancedChannel[];
}

type ChannelOptions = Pick<ParsedConnectOptions, 'balancer' | 'balancerOptions' | 'methods' | 'clock' | 'random'>;

/**
 * A nice-grpc client whose calls go through `layers` to a balanced channel over the endpoint
 * table: one channel with the client's policy, and one more for each method that names its own.
 */
export function balancedClient<D extends CompatServiceDefinition>(
  definition: D,
  options: ChannelOptions,
  parts: BalancedClientParts,
): BalancedClient<D> {
  const { service, table, placement, health, outcomes, layers, methodOptions, parent } = parts;
  const channels: BalancedChannel[] = [];
  const channelFor = (overrides: Pick<MethodOverrides, 'balancer' | 'balancerOptions'> = {}) => {
    const channel = createBalancedChannel({
      service,
      source: table,
      table,
      policy: overrides.balancer ?? options.balancer ?? 'peak-ewma',
      policyOptions: overrides.balancerOptions ?? options.balancerOptions,
      health,
      zone: placement.zone,
      slowStart: placement.slowStart,
      onOutcome: outcomes,
      clock: options.clock,
      random: options.random,
      logger: parent,
    });
    channels.push(channel);
    return channel;
  };
  // Composed into one middleware: nice-grpc's own composition (one `use` per layer) copies the
  // call object twice per layer on every call. The last layer issues unary calls on the balanced
  // channel itself, with the call's context.
  const clientOver = (channel: BalancedChannel) =>
    createClientFactory()
      .use(chainMiddleware([...layers, balancedStreams(channel, definition), balancedUnary(channel, definition)]))
      .create(definition, asChannel(channel), methodOptions) as Client<D, BallastCallOptions>;

  try {
    let client = clientOver(channelFor());
    for (const [method, overrides] of Object.entries(options.methods ?? {})) {
      if (!overrides.balancer) continue;
      const other = clientOver(channelFor(overrides)) as Record<string, unknown>;
      client = { ...client, [method]: other[method] };
    }
    return { client, channels };
  } catch (error) {
    for (const channel of channels) channel.close();
    throw error;
  }
}

/**
 * nice-grpc types its channel as grpc-js's concrete class, but only hands it to grpc-js as a
 * `channelOverride`, which needs no more than the ChannelInterface the balanced channel implements.
 */
function asChannel(channel: BalancedChannel): Channel {
  return channel as unknown as Channel;
}
