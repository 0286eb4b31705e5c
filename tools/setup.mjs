#!/usr/bin/env node
// npm run setup: install the npm dependencies, then the system packages the tests need when missing.
// Plain Node with no dependencies, because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function run(command, args) {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`setup: "${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// `npm install`, not `npm ci`: npm 11 leaves other platforms' optional binaries (buf, nx, swc) out of
// the lockfile, and `npm ci` then refuses the lockfile as out of sync.
run('npm', ['install', '--no-audit', '--no-fund']);

// Debian packages the tests need: etcd (the Raft-backed store's tests), Chromium (the shop
// dashboard's browser test), Prometheus for its promtool (the alert rules' unit tests) and dnsmasq
// (DNS discovery's tests run a real DNS server). dnsmasq-base is the binary alone: the `dnsmasq`
// package would also start a system DNS service on port 53.
const needed = [];
if (!(process.env.ETCD_BIN || onPath('etcd'))) needed.push('etcd-server', 'etcd-client');
if (!onPath('chromium')) needed.push('chromium');
if (!onPath('promtool')) needed.push('prometheus');
if (!(process.env.DNSMASQ_BIN || onPath('dnsmasq') || isExecutable('/usr/sbin/dnsmasq'))) needed.push('dnsmasq-base');
// The pod runtime of `npm run deploy:local` and its test (deploy/README.md), without recommends: as
// root on the host network podman needs only runc (crun fails on hybrid cgroups), catatonit (the
// pods' infra container) and debootstrap (the Debian base image); no slirp4netns, fuse-overlayfs
// or uidmap.
const pods = [];
if (!onPath('podman')) pods.push('podman');
if (!(onPath('runc') || isExecutable('/usr/sbin/runc'))) pods.push('runc');
if (!(onPath('catatonit') || isExecutable('/usr/libexec/podman/catatonit'))) pods.push('catatonit');
if (!(onPath('debootstrap') || isExecutable('/usr/sbin/debootstrap'))) pods.push('debootstrap');

if (needed.length === 0 && pods.length === 0) {
  console.log('setup: etcd, chromium, promtool, dnsmasq and podman are installed.');
} else if (process.platform === 'linux' && onPath('apt-get')) {
  const root = process.getuid?.() === 0;
  if (!root && !onPath('sudo')) {
    console.error(
      `setup: missing ${[...needed, ...pods].join(', ')}; run as root: apt-get install -y ${[...needed, ...pods].join(' ')}`,
    );
    process.exit(1);
  }
  const apt = (args) => (root ? run('apt-get', args) : run('sudo', ['apt-get', ...args]));
  apt(['update', '-qq']);
  if (needed.length > 0) apt(['install', '-y', '-qq', ...needed]);
  if (pods.length > 0) apt(['install', '-y', '-qq', '--no-install-recommends', ...pods]);
} else {
  console.error(
    `setup: missing ${[...needed, ...pods].join(', ')} and this is not a Debian/Ubuntu system. Install etcd 3.4+ ` +
      '(macOS: "brew install etcd dnsmasq"), Chromium, Prometheus (for promtool), dnsmasq and podman, or set ' +
      'ETCD_BIN / DNSMASQ_BIN to their binaries.',
  );
  process.exit(1);
}
