#!/usr/bin/env node
// Checks that every workspace package declares exactly what it imports:
//  - a package imported by shipped code (src/, bin/) must be in `dependencies`;
//  - in a published package, a package imported only by tests, benchmarks and test configs must be
//    in `devDependencies` (or come from the root's devDependencies, the workspace-wide tools such as
//    vitest); a private package may list it in either;
//  - every declared package must be imported somewhere in the package (or run by one of its
//    package.json scripts);
//  - every published bin must exist and be shipped by `files`.
// Run from the repository root: `node tools/dep-check.mjs`; exits 1 naming package, dependency
// and file for each problem.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = /\.(?:[cm]?[jt]sx?)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.nx', 'coverage', 'test-artifacts']);
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const SPECIFIERS = [
  /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*[,)]/g,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\b(?:require|createRequire\([^)]*\)|import\.meta)\.resolve\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /['"]--(?:import|require|loader)['"]\s*,\s*['"]([^'"]+)['"]/g,
];

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined. */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return undefined;
  if (BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages a source text imports, requires, resolves or hands to node's --import. */
export function importsOf(text) {
  const found = new Set();
  for (const pattern of SPECIFIERS)
    for (const match of text.matchAll(pattern)) {
      const name = packageOf(match[1]);
      if (name) found.add(name);
    }
  return found;
}

/** Code that is never shipped: tests, fixtures, benchmarks, examples and test runner configs. */
export function isDevFile(path) {
  return (
    /(^|\/)(test|tests|__tests__|fixtures|bench|examples)\//.test(path) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(path) ||
    /(^|\/)vitest\.[\w.-]*config\.[cm]?[jt]s$/.test(path)
  );
}

function* sourceFiles(dir, base = dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* sourceFiles(join(dir, entry.name), base);
    } else if (SOURCE.test(entry.name)) yield relative(base, join(dir, entry.name));
  }
}

function workspaceDirs(root, manifest) {
  const dirs = [];
  for (const pattern of manifest.workspaces ?? []) {
    if (!pattern.endsWith('/*')) throw new Error(`dep-check: workspace pattern "${pattern}" is not of the form dir/*`);
    const parent = join(root, pattern.slice(0, -2));
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent).sort()) {
      const dir = join(parent, name);
      if (statSync(dir).isDirectory() && existsSync(join(dir, 'package.json'))) dirs.push(dir);
    }
  }
  return dirs;
}

/** The binaries a package's scripts run, as package names, from their node_modules manifests. */
function scriptPackages(root, dir, pkg) {
  const commands = new Set(
    Object.values(pkg.scripts ?? {}).flatMap((script) =>
      script.split(/&&|\|\||;|\|/).map((part) => part.trim().split(/\s+/)[0]),
    ),
  );
  const used = new Set();
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const manifest = [join(dir, 'node_modules', name), join(root, 'node_modules', name)]
      .map((d) => join(d, 'package.json'))
      .find((p) => existsSync(p));
    if (!manifest) continue;
    const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
    const bins = typeof bin === 'string' ? [name.split('/').pop()] : Object.keys(bin ?? {});
    if (bins.some((b) => commands.has(b))) used.add(name);
  }
  return used;
}

/** Problems of one package, each naming the package, the dependency and where it is used. */
export function checkPackage(root, dir, rootDevDependencies = {}) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const where = relative(root, dir) || '.';
  const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
  const peers = new Set(Object.keys(pkg.peerDependencies ?? {}));
  const devDependencies = new Set(Object.keys(pkg.devDependencies ?? {}));
  const shippedUse = new Map();
  const testUse = new Map();
  for (const file of sourceFiles(dir)) {
    const uses = isDevFile(file) ? testUse : shippedUse;
    for (const name of importsOf(readFileSync(join(dir, file), 'utf8'))) {
      if (name === pkg.name) continue;
      if (!uses.has(name)) uses.set(name, file);
    }
  }
  const problems = [];
  for (const [name, file] of shippedUse) {
    if (dependencies.has(name) || peers.has(name)) continue;
    const fix = devDependencies.has(name) ? 'move it from devDependencies to dependencies' : 'add it to dependencies';
    problems.push(`${pkg.name} (${where}): ${file} imports "${name}", which is not in dependencies: ${fix}`);
  }
  for (const [name, file] of testUse) {
    if (dependencies.has(name) || peers.has(name) || devDependencies.has(name) || name in rootDevDependencies) continue;
    problems.push(
      `${pkg.name} (${where}): ${file} imports "${name}", which is not declared: add it to devDependencies`,
    );
  }
  const run = scriptPackages(root, dir, pkg);
  for (const name of dependencies) {
    if (shippedUse.has(name) || run.has(name)) continue;
    // A private package is never installed by anyone else: where it lists a package it uses
    // changes nothing, and its fixtures are often code it runs.
    if (pkg.private && testUse.has(name)) continue;
    problems.push(
      testUse.has(name)
        ? `${pkg.name} (${where}): "${name}" is only imported by tests or benchmarks (${testUse.get(name)}): move it to devDependencies`
        : `${pkg.name} (${where}): dependency "${name}" is imported by no file: remove it`,
    );
  }
  for (const name of devDependencies) {
    if (testUse.has(name) || shippedUse.has(name) || run.has(name)) continue;
    problems.push(`${pkg.name} (${where}): devDependency "${name}" is imported by no file: remove it`);
  }
  const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  for (const [command, path] of Object.entries(bins)) {
    const file = path.replace(/^\.\//, '');
    // A bin in dist/ is built from the source file of the same name.
    const source = file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
    if (!existsSync(join(dir, file)) && !existsSync(join(dir, source))) {
      problems.push(`${pkg.name} (${where}): bin "${command}" points at ${path}, which does not exist`);
    } else if (pkg.files && !pkg.files.some((f) => file === f || file.startsWith(`${f.replace(/\/$/, '')}/`))) {
      problems.push(`${pkg.name} (${where}): bin "${command}" (${path}) is not in "files": add it so it is published`);
    }
  }
  return problems;
}

/** Problems of every workspace package under `root`. */
export function checkWorkspace(root) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaceDirs(root, manifest).flatMap((dir) => checkPackage(root, dir, manifest.devDependencies));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const problems = checkWorkspace(root);
  for (const problem of problems) console.error(`dep-check: ${problem}`);
  if (problems.length > 0) {
    console.error(`dep-check: ${problems.length} problem(s); declare exactly what each package imports.`);
    process.exit(1);
  }
  console.log('dep-check: every package declares exactly what it imports');
}
