import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', 'packages/stubs/src/gen/**', 'bench/results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Pages served to browsers (dashboards).
    files: ['**/public/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  // Package boundaries (DESIGN.md): balancer, detector and recovery meet only through @ballast/core;
  // config stands alone; only rpc composes them. Tests may use other packages as fixtures.
  ...[
    ['balancer', ['detector', 'recovery', 'config', 'rpc']],
    ['detector', ['balancer', 'recovery', 'config', 'rpc']],
    ['recovery', ['balancer', 'detector', 'config', 'rpc']],
    ['config', ['balancer', 'detector', 'recovery', 'rpc']],
    ['core', ['balancer', 'detector', 'recovery', 'config', 'rpc', 'stubs']],
  ].map(([pkg, forbidden]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    ignores: ['**/*.test.ts', '**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: forbidden.flatMap((name) => [`@ballast/${name}`, `@ballast/${name}/*`, `**/${name}/src/**`]),
              message: `@ballast/${pkg} must not depend on this package: shared types belong in @ballast/core.`,
            },
          ],
        },
      ],
    },
  })),
  {
    // Apps import packages only through their public entry points, never through src/ paths.
    files: ['apps/**/*.ts', 'tools/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@ballast/*/src/*', '**/packages/*/src/*'], message: 'Import @ballast/<pkg>, not its src/.' },
          ],
        },
      ],
    },
  },
);
