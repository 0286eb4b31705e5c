import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(shared, {
  test: {
    globalSetup: [fileURLToPath(new URL('../../tools/etcd/src/vitest-global-setup.ts', import.meta.url))],
  },
});
