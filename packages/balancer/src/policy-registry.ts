import { InvalidBalancerOptionError } from './errors.js';
import type { PolicyFactory } from './picker.js';
import { leastRequest } from './policies/least-request.js';
import { maglev } from './policies/maglev.js';
import { peakEwma } from './policies/peak-ewma.js';
import { randomPolicy } from './policies/random.js';
import { ringHash } from './policies/ring-hash.js';
import { roundRobin } from './policies/round-robin.js';
import { weightedByLoad } from './policies/weighted-by-load.js';
import { weightedRoundRobin } from './policies/weighted-round-robin.js';

export const BUILT_IN_POLICIES = [
  'round-robin',
  'random',
  'weighted-round-robin',
  'least-request',
  'peak-ewma',
  'ring-hash',
  'maglev',
  'weighted-by-load',
] as const;

export type BuiltInPolicyName = (typeof BUILT_IN_POLICIES)[number];
/** A built-in policy name, or one added with registerPolicy. */
export type PolicyName = BuiltInPolicyName | (string & {});

export const DEFAULT_POLICY: BuiltInPolicyName = 'peak-ewma';

const registry = new Map<string, PolicyFactory>([
  ['round-robin', roundRobin],
  ['random', randomPolicy],
  ['weighted-round-robin', weightedRoundRobin],
  ['least-request', leastRequest],
  ['peak-ewma', peakEwma],
  ['ring-hash', ringHash],
  ['maglev', maglev],
  ['weighted-by-load', weightedByLoad],
]);

/**
 * Makes a custom policy selectable by name. Built-in names cannot be replaced (a typo would
 * otherwise silently change every client's balancing); registering the same factory twice is fine.
 */
export function registerPolicy(name: string, factory: PolicyFactory): void {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new InvalidBalancerOptionError('name', `is ${JSON.stringify(name)}`, 'a kebab-case name like "my-policy"');
  }
  if (typeof factory !== 'function') {
    throw new InvalidBalancerOptionError('factory', `is ${typeof factory}`, 'a function (context) => Policy');
  }
  const existing = registry.get(name);
  if (existing && existing !== factory) {
    throw new InvalidBalancerOptionError(
      'name',
      `"${name}" is already registered`,
      `a name other than ${policyNames().join(', ')}`,
    );
  }
  registry.set(name, factory);
}

/** Every name `policy` accepts right now. */
export function policyNames(): string[] {
  return [...registry.keys()];
}

/** The factory for a name or the factory itself; unknown names throw naming the allowed ones. */
export function resolvePolicy(policy: PolicyName | PolicyFactory | undefined): PolicyFactory {
  if (policy === undefined) return registry.get(DEFAULT_POLICY)!;
  if (typeof policy === 'function') return policy;
  const factory = typeof policy === 'string' ? registry.get(policy) : undefined;
  if (!factory) {
    throw new InvalidBalancerOptionError('policy', `is ${JSON.stringify(policy)}`, policyNames().join(', '));
  }
  return factory;
}
