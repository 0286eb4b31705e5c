import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The pods' test waits on restarts and health checks of real containers.
export default mergeConfig(shared, { test: { testTimeout: 180_000 } });
