import { describe, expect, it } from 'vitest';
import { parseDeployLocalOptions, type DeployLocalOptions } from './deploy-local-options.js';
import { DeployLocalError } from './podman.js';

function rejection(input: DeployLocalOptions): DeployLocalError {
  try {
    parseDeployLocalOptions(input);
  } catch (error) {
    if (error instanceof DeployLocalError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('deploy:local options', () => {
  it('fills the defaults', () => {
    expect(parseDeployLocalOptions({})).toMatchObject({ portBase: 23_000, namePrefix: '', readyTimeoutMs: 180_000 });
  });

  it('names a bad option, the value given and what it accepts', () => {
    expect(rejection({ portBase: 80 })).toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/^deploy:local option "portBase" is 80 \(.*\): allowed values are .*1024/),
    });
    expect(rejection({ namePrefix: 'Test' }).message).toMatch(/"namePrefix" is "Test" \(lowercase letters/);
  });

  it('refuses an unknown option, listing the ones it takes', () => {
    expect(rejection({ portbase: 24_000 } as DeployLocalOptions).message).toMatch(
      /"portbase" is not an option .*: allowed values are the keys portBase, namePrefix, stateDir, readyTimeoutMs, log/,
    );
  });
});
