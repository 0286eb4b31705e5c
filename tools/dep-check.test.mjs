// Runs dep-check on small workspaces written to a temporary folder: `node --test tools/`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkWorkspace, importsOf, packageOf } from './dep-check.mjs';

const roots = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** Writes `files` (path → text, objects as JSON) under a fresh folder; returns its path. */
function workspace(files) {
  const root = mkdtempSync(join(tmpdir(), 'dep-check-'));
  roots.push(root);
  const all = {
    'package.json': { name: 'fixture', private: true, workspaces: ['packages/*'], devDependencies: { vitest: '*' } },
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

describe('dep-check', () => {
  it('names bare packages, not relative paths, builtins or words in strings', () => {
    assert.equal(packageOf('@scope/name/sub/path'), '@scope/name');
    assert.equal(packageOf('zod/v4'), 'zod');
    assert.equal(packageOf('./local.js'), undefined);
    assert.equal(packageOf('node:fs'), undefined);
    assert.equal(packageOf('fs/promises'), undefined);
    const text = [
      "import { a } from 'alpha';",
      'import {\n  b,\n} from "@beta/one/deep";',
      "export * from 'gamma';",
      "import 'delta/register';",
      "const e = await import('epsilon');",
      "const tsx = createRequire(import.meta.url).resolve('zeta');",
      "spawn(process.execPath, ['--import', 'eta', 'main.ts']);",
      "resolve('not a package'); log(`read from 'a file'`);",
    ].join('\n');
    assert.deepEqual([...importsOf(text)].sort(), ['@beta/one', 'alpha', 'delta', 'epsilon', 'eta', 'gamma', 'zeta']);
  });

  it('passes a package that declares exactly what it imports', () => {
    const root = workspace({
      'packages/good/package.json': {
        name: 'good',
        dependencies: { alpha: '*' },
        devDependencies: { beta: '*' },
        bin: { good: './bin/good.mjs' },
        files: ['dist', 'bin'],
      },
      'packages/good/src/index.ts': "import { a } from 'alpha';\nimport { b } from './b.js';",
      'packages/good/bin/good.mjs': "import 'alpha';",
      'packages/good/test/index.test.ts': "import { it } from 'vitest';\nimport { beta } from 'beta';",
      // Examples are not in "files": what they import only for the demo stays a devDependency.
      'packages/good/examples/demo.ts': "import { beta } from 'beta';",
    });
    assert.deepEqual(checkWorkspace(root), []);
  });

  it('fails on undeclared, unused, misplaced and unpublished, naming package, dependency and file', () => {
    const root = workspace({
      'packages/bad/package.json': {
        name: 'bad',
        dependencies: { unused: '*', 'tests-only': '*' },
        devDependencies: { 'shipped-dev': '*', 'dev-unused': '*' },
        bin: { bad: './bin/bad.mjs', gone: './bin/gone.mjs' },
        files: ['dist'],
      },
      'packages/bad/src/index.ts': "import { x } from 'undeclared';\nimport { y } from 'shipped-dev';",
      'packages/bad/bin/bad.mjs': '',
      'packages/bad/test/a.test.ts': "import 'tests-only';\nimport 'test-undeclared';",
    });
    assert.deepEqual(checkWorkspace(root).sort(), [
      'bad (packages/bad): "tests-only" is only imported by tests or benchmarks (test/a.test.ts): move it to devDependencies',
      'bad (packages/bad): bin "bad" (./bin/bad.mjs) is not in "files": add it so it is published',
      'bad (packages/bad): bin "gone" points at ./bin/gone.mjs, which does not exist',
      'bad (packages/bad): dependency "unused" is imported by no file: remove it',
      'bad (packages/bad): devDependency "dev-unused" is imported by no file: remove it',
      'bad (packages/bad): src/index.ts imports "shipped-dev", which is not in dependencies: move it from devDependencies to dependencies',
      'bad (packages/bad): src/index.ts imports "undeclared", which is not in dependencies: add it to dependencies',
      'bad (packages/bad): test/a.test.ts imports "test-undeclared", which is not declared: add it to devDependencies',
    ]);
  });

  it('lets a private package keep what its tests or fixtures import in dependencies', () => {
    const root = workspace({
      'packages/tool/package.json': { name: 'tool', private: true, dependencies: { helper: '*' } },
      'packages/tool/fixtures/replica.ts': "import 'helper';",
    });
    assert.deepEqual(checkWorkspace(root), []);
  });

  it('counts a dependency whose binary a package script runs, and a root tool only in tests', () => {
    const root = workspace({
      'packages/cli/package.json': {
        name: 'cli',
        scripts: { demo: 'runner src/main.ts && echo done' },
        dependencies: { runner: '*' },
      },
      'packages/cli/node_modules/runner/package.json': { name: 'runner', bin: { runner: 'cli.js' } },
      'packages/cli/src/main.ts': "import { describe } from 'vitest';",
    });
    assert.deepEqual(checkWorkspace(root), [
      'cli (packages/cli): src/main.ts imports "vitest", which is not in dependencies: add it to dependencies',
    ]);
  });
});
