#!/usr/bin/env node
// Checks that every published @ballast/* package works outside this monorepo: builds them, packs
// each with `npm pack`, installs the tarballs into an empty temporary project, and runs a script
// there that imports every package and makes a real call through serve() and connect().
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const published = ['core', 'stubs', 'balancer', 'detector', 'recovery', 'config', 'rpc'];
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } });

run('npx', ['nx', 'run-many', '-t', 'build', '-p', ...published.map((p) => `@ballast/${p}`)], root);
const work = mkdtempSync(join(tmpdir(), 'ballast-pack-'));
try {
  for (const pkg of published)
    run('npm', ['pack', '--silent', '--pack-destination', work], join(root, 'packages', pkg));
  const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => join(work, t))], app);
  writeFileSync(
    join(app, 'check.mjs'),
    `
import * as core from '@ballast/core';
import * as balancer from '@ballast/balancer';
import * as detector from '@ballast/detector';
import * as recovery from '@ballast/recovery';
import { MemoryStore } from '@ballast/config';
import { connect, disconnect, serve, service } from '@ballast/rpc';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';

for (const [name, m, symbol] of [['core', core, 'StaticEndpointSource'], ['balancer', balancer, 'createBalancedChannel'],
  ['detector', detector, 'createDetector'], ['recovery', recovery, 'createRetry']]) {
  if (typeof m[symbol] !== 'function') throw new Error('@ballast/' + name + ' does not export ' + symbol);
}
const store = new MemoryStore();
const server = await serve({
  name: 'echo',
  services: [service(EchoServiceDefinition, {
    echo: async (request) => ({ message: request.message, replica: 'packed', payload: Buffer.alloc(0) }),
    write: async () => ({ replica: 'packed', sequence: 1 }),
    async *count() {},
    async *chat() {},
  })],
  store,
  handleSignals: false,
});
const byAddress = connect(EchoServiceDefinition, { endpoints: [server.address] });
const byDiscovery = connect(EchoServiceDefinition, { discover: 'echo', store });
const a = await byAddress.echo({ message: 'hello' });
const b = await byDiscovery.echo({ message: 'again' });
if (a.message !== 'hello' || b.replica !== 'packed') throw new Error('unexpected answers');
await disconnect(byAddress);
await disconnect(byDiscovery);
await server.close();
await store.close();
console.log('pack-check: ${published.length} packages installed from tarballs; serve() and connect() work outside the monorepo');
process.exit(0);
`,
  );
  run('node', ['check.mjs'], app);
} finally {
  rmSync(work, { recursive: true, force: true });
}
