import { partLogger, systemClock, systemRandom, type Clock, type Logger, type Random } from '@ballast/core';
import { ownInFlight, type InFlightCounts, type Policy, type PolicyFactory } from './picker.js';
import type { PolicyOptionsInput } from './policy-options.js';
import { parsePolicyOptions, resolvePolicy, type PolicyName } from './policy-registry.js';

export interface CreatePolicyOptions {
  policy?: PolicyName | PolicyFactory;
  policyOptions?: PolicyOptionsInput;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Where in-flight attempts are counted; default: by the policy itself. */
  inFlight?: InFlightCounts;
}

/** A policy by name (default 'peak-ewma') with options validated by its schema: use it without a channel. */
export function createPolicy(options: CreatePolicyOptions = {}): Policy {
  // The registry pairs each factory with its schema: these options are the ones it declared.
  const factory = resolvePolicy(options.policy) as PolicyFactory<unknown>;
  return factory({
    clock: options.clock ?? systemClock,
    random: options.random ?? systemRandom,
    options: parsePolicyOptions(options.policy, options.policyOptions),
    logger: partLogger('balancer', 'policy', options.logger),
    inFlight: options.inFlight ?? ownInFlight,
  });
}
