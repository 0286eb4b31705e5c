import { acceptedKeys, parseOptions, type OptionProblem } from '@ballast/core';
import { z } from 'zod';
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
import { noPolicyOptionsSchema, POLICY_OPTIONS_SCHEMAS } from './policy-options.js';

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

/** A policy and the schema of its options: the factory only ever sees options that schema parsed. */
interface Registered {
  readonly factory: PolicyFactory<never>;
  readonly schema: z.ZodType;
}

const registry = new Map<string, Registered>([
  ['round-robin', { factory: roundRobin, schema: POLICY_OPTIONS_SCHEMAS['round-robin'] }],
  ['random', { factory: randomPolicy, schema: POLICY_OPTIONS_SCHEMAS.random }],
  ['weighted-round-robin', { factory: weightedRoundRobin, schema: POLICY_OPTIONS_SCHEMAS['weighted-round-robin'] }],
  ['least-request', { factory: leastRequest, schema: POLICY_OPTIONS_SCHEMAS['least-request'] }],
  ['peak-ewma', { factory: peakEwma, schema: POLICY_OPTIONS_SCHEMAS['peak-ewma'] }],
  ['ring-hash', { factory: ringHash, schema: POLICY_OPTIONS_SCHEMAS['ring-hash'] }],
  ['maglev', { factory: maglev, schema: POLICY_OPTIONS_SCHEMAS.maglev }],
  ['weighted-by-load', { factory: weightedByLoad, schema: POLICY_OPTIONS_SCHEMAS['weighted-by-load'] }],
]);

// A factory passed as `policy` itself, not by name, receives its options as given.
const ownOptionsSchema = z.record(z.string(), z.unknown());

/**
 * Makes a custom policy selectable by name, with the zod schema of its options (default: it
 * takes none). Built-in names cannot be replaced (a typo would otherwise silently change every
 * client's balancing); registering the same factory twice is fine.
 */
export function registerPolicy<S extends z.ZodType = typeof noPolicyOptionsSchema>(
  name: string,
  factory: PolicyFactory<z.output<S>>,
  optionsSchema?: S,
): void {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new InvalidBalancerOptionError('name', `is ${JSON.stringify(name)}`, 'a kebab-case name like "my-policy"');
  }
  if (typeof factory !== 'function') {
    throw new InvalidBalancerOptionError('factory', `is ${typeof factory}`, 'a function (context) => Policy');
  }
  const existing = registry.get(name);
  if (existing && existing.factory !== factory) {
    throw new InvalidBalancerOptionError(
      'name',
      `"${name}" is already registered`,
      `a name other than ${policyNames().join(', ')}`,
    );
  }
  registry.set(name, { factory, schema: optionsSchema ?? noPolicyOptionsSchema });
}

/** Every name `policy` accepts right now. */
export function policyNames(): string[] {
  return [...registry.keys()];
}

/** The factory for a name or the factory itself; unknown names throw naming the allowed ones. */
export function resolvePolicy(policy: PolicyName | PolicyFactory | undefined): PolicyFactory<never> {
  return lookUp(policy).factory;
}

/**
 * Parses `policyOptions` with the schema of the policy `policy` names (a factory given itself
 * receives them as given): an option of another policy is refused, naming the policies that take it.
 */
export function parsePolicyOptions(policy: PolicyName | PolicyFactory | undefined, policyOptions: unknown): unknown {
  const { schema } = lookUp(policy);
  const name = typeof policy === 'function' ? undefined : (policy ?? DEFAULT_POLICY);
  return parseOptions(schema, policyOptions, 'policyOptions', {
    error: (option, detail, allowed, problem) =>
      new InvalidBalancerOptionError(option, name ? explain(name, detail, problem) : detail, allowed),
  });
}

function lookUp(policy: PolicyName | PolicyFactory | undefined): Registered {
  if (typeof policy === 'function') return { factory: policy, schema: ownOptionsSchema };
  const registered =
    typeof policy === 'string' || policy === undefined ? registry.get(policy ?? DEFAULT_POLICY) : undefined;
  if (!registered) {
    throw new InvalidBalancerOptionError('policy', `is ${JSON.stringify(policy)}`, policyNames().join(', '));
  }
  return registered;
}

/** For an unknown key, says which policies do take it: the usual slip is the wrong policy. */
function explain(name: string, detail: string, problem: OptionProblem): string {
  if (!problem.acceptedKeys) return detail;
  const key = problem.field.split('.').at(-1)!;
  const takers = policyNames().filter(
    (other) => other !== name && acceptedKeys(registry.get(other)!.schema, []).includes(key),
  );
  const who =
    takers.length === 0
      ? 'no policy takes it'
      : `${takers.length === 1 ? 'policy' : 'policies'} ${takers.map((t) => `"${t}"`).join(', ')} ${takers.length === 1 ? 'takes' : 'take'} it`;
  return `is not an option of policy "${name}" (${who})`;
}
