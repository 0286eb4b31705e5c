import { InvalidEndpointError } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBalancedChannel } from './balanced-channel.js';
import { createPolicy } from './create-policy.js';
import { InvalidBalancerOptionError } from './errors.js';
import { plainPick, pickRequest, type PolicyFactory } from './picker.js';
import { BUILT_IN_POLICIES, policyNames, registerPolicy } from './policy-registry.js';

function thrown(run: () => unknown): InvalidBalancerOptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidBalancerOptionError) return error;
    throw error;
  }
  throw new Error('expected an InvalidBalancerOptionError');
}

describe('policy registry', () => {
  it('knows every built-in policy by name', () => {
    for (const name of BUILT_IN_POLICIES) {
      const consistent = name === 'ring-hash' || name === 'maglev';
      const policy = createPolicy({
        policy: name,
        policyOptions: consistent ? { hashKey: { header: 'k' } } : undefined,
      });
      expect(policy.name).toBe(name);
    }
  });

  it('rejects an unknown name, listing the allowed ones', () => {
    const error = thrown(() => createPolicy({ policy: 'round-robbin' }));
    expect(error.code).toBe('INVALID_BALANCER_OPTION');
    expect(error.option).toBe('policy');
    expect(error.message).toContain('"round-robbin"');
    expect(error.message).toContain('peak-ewma');
  });

  it('registers a custom policy that is then chosen by name', () => {
    const first: PolicyFactory = () => ({
      name: 'always-first',
      picker: (list) => ({ endpoints: list, pick: () => plainPick(list[0]!) }),
    });
    registerPolicy('always-first', first);
    registerPolicy('always-first', first);
    expect(policyNames()).toContain('always-first');
    const picker = createPolicy({ policy: 'always-first' }).picker([
      { id: 'a', address: 'h:1' },
      { id: 'b', address: 'h:2' },
    ]);
    expect(picker.pick(pickRequest()).endpoint.id).toBe('a');
    expect(thrown(() => registerPolicy('peak-ewma', first)).message).toMatch(/already registered/);
    expect(thrown(() => registerPolicy('Bad Name', first)).option).toBe('name');
  });
});

describe('bad options fail at construction, naming the option', () => {
  const hashKey = { header: 'k' };
  it.each([
    ['peak-ewma', { defaultRttMs: -5 }, 'policyOptions.defaultRttMs', 'a number > 0 (default 30)'],
    ['peak-ewma', { decayMs: Number.NaN }, 'policyOptions.decayMs', 'a number > 0 (default 10000)'],
    ['maglev', { hashKey: { header: '  ' } }, 'policyOptions.hashKey.header', 'a non-empty string'],
    ['maglev', { hashKey, tableSize: 65_536 }, 'policyOptions.tableSize', 'an integer in 7..16777259, prime'],
    ['ring-hash', { hashKey, minRingSize: 2_048, maxRingSize: 1_024 }, 'policyOptions.maxRingSize', 'an integer'],
    ['weighted-by-load', { blackoutMs: Number.POSITIVE_INFINITY }, 'policyOptions.blackoutMs', 'a number >= 0'],
  ])('%s %o', (policy, policyOptions, option, allowed) => {
    const error = thrown(() => createPolicy({ policy, policyOptions: policyOptions as never }));
    expect(error.option).toBe(option);
    expect(error.allowed).toContain(allowed);
    expect(error.message).toMatch(/allowed values are/);
  });

  it('a consistent-hash policy without a hash key names the missing option', () => {
    expect(thrown(() => createPolicy({ policy: 'maglev' })).option).toBe('policyOptions.hashKey');
  });

  it('an unknown policy option names the key and lists the keys the policy takes', () => {
    const error = thrown(() => createPolicy({ policyOptions: { hashkey: 'x' } as never }));
    expect(error.option).toBe('policyOptions.hashkey');
    expect(error.message).toMatch(/is not an option of policy "peak-ewma" \(no policy takes it\)/);
    expect(error.allowed).toBe(
      'the keys defaultRttMs, decayMs, failurePenaltyMs, slowFactor, slowMarginMs, probeIntervalMs, probeEvery',
    );
  });

  it("each policy takes only its own options: round-robin refuses maglev's tableSize, naming maglev", () => {
    const error = thrown(() => createPolicy({ policy: 'round-robin', policyOptions: { tableSize: 7 } as never }));
    expect(error.option).toBe('policyOptions.tableSize');
    expect(error.message).toBe(
      'balancer option "policyOptions.tableSize" is not an option of policy "round-robin" (policy "maglev" takes it): ' +
        'allowed values are none: it takes no options',
    );
    expect(
      thrown(() => createPolicy({ policy: 'maglev', policyOptions: { hashKey, decayMs: 1 } as never })).message,
    ).toContain('policy "peak-ewma" takes it');
    expect(thrown(() => createPolicy({ policy: 'random', policyOptions: { hashKey } as never })).message).toContain(
      'policies "ring-hash", "maglev" take it',
    );
  });

  it('a policy registered with a schema gets its options parsed by it', () => {
    const seen: unknown[] = [];
    const schema = z.strictObject({ spread: z.number().int().min(1).default(3) });
    registerPolicy(
      'first-spread',
      ({ options }) => {
        seen.push(options);
        return { name: 'first-spread', picker: (list) => ({ endpoints: list, pick: () => plainPick(list[0]!) }) };
      },
      schema,
    );
    createPolicy({ policy: 'first-spread' });
    expect(seen).toEqual([{ spread: 3 }]);
    expect(thrown(() => createPolicy({ policy: 'first-spread', policyOptions: { spread: 0 } as never })).option).toBe(
      'policyOptions.spread',
    );
    expect(
      thrown(() => createPolicy({ policy: 'first-spread', policyOptions: { tableSize: 7 } as never })).message,
    ).toContain('policy "maglev" takes it');
  });

  it('the channel rejects a bad service, source, policy or weight before any call', () => {
    expect(thrown(() => createBalancedChannel({ service: '', source: [] })).option).toBe('service');
    expect(thrown(() => createBalancedChannel({ service: 's', source: 'h:1' as never })).option).toBe('source');
    expect(thrown(() => createBalancedChannel({ service: 's', source: [], policy: 'nope' })).option).toBe('policy');
    expect(() =>
      createBalancedChannel({ service: 's', source: [{ id: 'a', address: '127.0.0.1:1', weight: Number.NaN }] }),
    ).toThrow(/weight NaN/);
    expect(() =>
      createBalancedChannel({ service: 's', source: [{ id: 'a', address: '127.0.0.1:1', weight: -1 }] }),
    ).toThrow(InvalidEndpointError);
  });

  it('the channel rejects duplicate endpoint ids with a clear message', () => {
    expect(() =>
      createBalancedChannel({
        service: 's',
        source: [
          { id: 'a', address: '127.0.0.1:1' },
          { id: 'a', address: '127.0.0.1:2' },
        ],
      }),
    ).toThrow(/duplicate endpoint id "a"/);
  });
});
