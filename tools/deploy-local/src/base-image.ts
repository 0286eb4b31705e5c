import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { DeployLocalError, podman, run } from './podman.js';

/** Debian release of the base image; Node comes from this machine. */
const SUITE = 'bookworm';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * The base image's name: Debian plus this machine's Node, so a Node upgrade makes a new one. It
 * stands where the Dockerfile's default (a public node:20 image) stands on a Docker host.
 */
export function baseImageName(nodeVersion = process.versions.node): string {
  return `localhost/ballast-node-base:${SUITE}-node${nodeVersion}`;
}

/** The Debian mirror apt uses here (deb822 or one-line sources), so debootstrap reaches the same one. */
export function debianMirror(sources: readonly string[]): string {
  for (const text of sources) {
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822 && !deb822[1]!.includes('security')) return deb822[1]!;
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text);
    if (line && !line[1]!.includes('security')) return line[1]!;
  }
  return DEFAULT_MIRROR;
}

function readSources(): string[] {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  return files.filter(existsSync).map((file) => readFileSync(file, 'utf8'));
}

/**
 * Builds the base image once per machine (about a minute): a minimal Debian root file system from
 * Debian's packages (debootstrap, as root), this machine's node and npm, its CA bundle (npm inside a
 * build reaches the registry as the machine does), a `node` user as in the public images.
 */
export async function ensureBaseImage(log: (line: string) => void): Promise<string> {
  const image = baseImageName();
  if ((await podman(['image', 'exists', image], { okCodes: [1] })).code === 0) return image;
  if (process.getuid?.() !== 0)
    throw new DeployLocalError('NOT_ROOT', `building ${image} runs debootstrap, which needs root: run as root once`);
  const work = mkdtempSync('/var/tmp/ballast-base-');
  const root = join(work, 'rootfs');
  try {
    const mirror = debianMirror(readSources());
    log(`building ${image}: debootstrap --variant=minbase ${SUITE} from ${mirror}`);
    await run('debootstrap', ['--variant=minbase', SUITE, root, mirror]);
    const prefix = resolve(dirname(process.execPath), '..');
    cpSync(process.execPath, join(root, 'usr/local/bin/node'));
    const npm = join(prefix, 'lib/node_modules/npm');
    if (!existsSync(npm)) throw new DeployLocalError('NPM_MISSING', `npm is not at ${npm}, next to this node`);
    mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
    cpSync(npm, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    const bundle = '/etc/ssl/certs/ca-certificates.crt';
    if (existsSync(bundle)) {
      mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
      cpSync(bundle, join(root, bundle));
    }
    await run('chroot', [root, 'useradd', '--uid', '1000', '--create-home', '--shell', '/bin/bash', 'node']);
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await podman(
      [
        'import',
        '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change', `ENV NODE_EXTRA_CA_CERTS=${bundle}`,
        '--change', 'CMD ["node"]',
        '-', image,
      ], // prettier-ignore
      { input: tar.stdout },
    );
    log(`built ${image}`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
