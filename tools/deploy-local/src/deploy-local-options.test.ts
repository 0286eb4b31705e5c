import { describe, expect, it } from 'vitest';
import { parseDeployLocalOptions, type DeployLocalOptions } from './deploy-local-options.js';
import { DeployLocalError } from './podman.js';

const parsing = (input: DeployLocalOptions) => () => parseDeployLocalOptions(input);

describe('deploy:local options', () => {
  it('fills the defaults', () => {
    expect(parseDeployLocalOptions({})).toMatchObject({ portBase: 23_000, namePrefix: '', readyTimeoutMs: 180_000 });
  });

  it('names a bad option, the value given and what it accepts', () => {
    expect(parsing({ portBase: 80 })).toThrow(DeployLocalError);
    expect(parsing({ portBase: 80 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(parsing({ portBase: 80 })).toThrow(
      /^deploy:local option "portBase" is 80 \(.*\): allowed values are .*1024/,
    );
    expect(parsing({ namePrefix: 'Test' })).toThrow(/"namePrefix" is "Test" \(lowercase letters/);
  });

  it('refuses an unknown option, listing the ones it takes', () => {
    expect(parsing({ portbase: 24_000 } as DeployLocalOptions)).toThrow(
      /"portbase" is not an option .*: allowed values are the keys portBase, namePrefix, stateDir, readyTimeoutMs, log/,
    );
  });
});
