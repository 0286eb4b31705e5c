import { InvalidEndpointError } from '@ballast/core';
import { describe, expect, it } from 'vitest';
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
      const policy = createPolicy({ policy: name, policyOptions: { hashKey: { header: 'k' } } });
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
  it.each([
    [{ defaultRttMs: -5 }, 'policyOptions.defaultRttMs'],
    [{ decayMs: Number.NaN }, 'policyOptions.decayMs'],
    [{ hashKey: { header: '  ' } }, 'policyOptions.hashKey.header'],
    [{ tableSize: 65_536 }, 'policyOptions.tableSize'],
    [{ minRingSize: 2_048, maxRingSize: 1_024 }, 'policyOptions.maxRingSize'],
    [{ blackoutMs: Number.POSITIVE_INFINITY }, 'policyOptions.blackoutMs'],
  ])('%o', (policyOptions, option) => {
    const error = thrown(() => createPolicy({ policy: 'maglev', policyOptions: policyOptions as never }));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(/allowed values are/);
  });

  it('an unknown policy option names the key', () => {
    expect(thrown(() => createPolicy({ policyOptions: { hashkey: 'x' } as never })).message).toMatch(/hashkey/);
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
