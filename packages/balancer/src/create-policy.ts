import { partLogger, systemClock, systemRandom, type Clock, type Logger, type Random } from '@ballast/core';
import { ownInFlight, type InFlightCounts, type Policy, type PolicyFactory } from './picker.js';
import { parsePolicyOptions, type PolicyOptionsInput } from './policy-options.js';
import { resolvePolicy, type PolicyName } from './policy-registry.js';

export interface CreatePolicyOptions {
  policy?: PolicyName | PolicyFactory;
  policyOptions?: PolicyOptionsInput;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Where in-flight attempts are counted; default: by the policy itself. */
  inFlight?: InFlightCounts;
}

/** A policy by name (default 'peak-ewma') with validated options: use it without a channel. */
export function createPolicy(options: CreatePolicyOptions = {}): Policy {
  const factory = resolvePolicy(options.policy);
  return factory({
    clock: options.clock ?? systemClock,
    random: options.random ?? systemRandom,
    options: parsePolicyOptions(options.policyOptions),
    logger: partLogger('balancer', 'policy', options.logger),
    inFlight: options.inFlight ?? ownInFlight,
  });
}
