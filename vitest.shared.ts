import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "@ballast/source" condition,
// so tests and typecheck run on source without building dependencies first.
const conditions = ['@ballast/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Fault tests start processes and clusters; two cores are shared by every file.
    fileParallelism: false,
  },
});
