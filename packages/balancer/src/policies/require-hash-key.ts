import { InvalidBalancerOptionError } from '../errors.js';
import type { HashKey } from '../policy-options.js';

/** Consistent-hash policies are useless without a key: refuse at construction, not at call time. */
export function requireHashKey(policy: string, hashKey: HashKey | undefined): HashKey {
  if (hashKey === undefined) {
    throw new InvalidBalancerOptionError(
      'policyOptions.hashKey',
      `is missing but policy "${policy}" needs it`,
      '{ header: "<non-empty metadata key>" } or (metadata, method) => string | undefined',
    );
  }
  return hashKey;
}
