#!/usr/bin/env node
// dependency-manifests.mjs SRC OUT: copies the lockfile and every workspace package.json from SRC to
// OUT with only the fields that decide what `npm ci` installs, so the image's dependency layers are
// rebuilt when dependencies change and not when a script, a description or Nx settings do.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: dependency-manifests.mjs SRC OUT');
  process.exit(2);
}
const KEEP = ['name', 'version', 'private', 'workspaces', 'bin', 'os', 'cpu', 'engines'];
const DEPENDENCIES = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'overrides'];

function* manifests(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* manifests(path);
    else if (entry.name === 'package.json') yield path;
  }
}

const write = (path, text) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
for (const path of manifests(src)) {
  const full = JSON.parse(readFileSync(path, 'utf8'));
  const kept = Object.fromEntries([...KEEP, ...DEPENDENCIES].filter((k) => k in full).map((k) => [k, full[k]]));
  write(join(out, relative(src, path)), `${JSON.stringify(kept, null, 2)}\n`);
}
write(join(out, 'package-lock.json'), readFileSync(join(src, 'package-lock.json'), 'utf8'));
