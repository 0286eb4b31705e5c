import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { WORKSPACE_ROOT, run } from './workspace.js';

/** A throwaway copy of the workspace that generators and npm scripts can write into. */
export interface WorkspaceCopy {
  readonly root: string;
  /** What `npm install` would do for a new workspace package: link it under node_modules/<name>. */
  link(packageDir: string): Promise<void>;
  remove(): Promise<void>;
}

const THIS_PACKAGE = relative(WORKSPACE_ROOT, new URL('..', import.meta.url).pathname).replace(/\/$/, '');
const SKIPPED = new Set(['node_modules', '.nx', 'dist', '.git', 'coverage', 'test-artifacts', '.vite']);

/**
 * Copies the committed workspace (git HEAD) plus this package's working files into a temporary directory.
 * HEAD rather than the working tree, so half-written work in other packages cannot break the copy; outside a
 * git checkout, the working tree without build outputs and generated stubs.
 * node_modules is not copied: each root entry is linked, except @ballast/*, which points at the copy's own
 * packages so that code generated in the copy (new stubs, the new app) is what gets imported.
 */
export async function copyWorkspace(): Promise<WorkspaceCopy> {
  const root = await mkdtemp(join(tmpdir(), 'ballast-generate-'));
  try {
    await copySources(root);
    await rm(join(root, THIS_PACKAGE), { recursive: true, force: true });
    await cp(join(WORKSPACE_ROOT, THIS_PACKAGE), join(root, THIS_PACKAGE), {
      recursive: true,
      filter: (source) => !SKIPPED.has(source.split('/').pop() ?? ''),
    });
    await linkNodeModules(root);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    link: async (packageDir) => {
      const { name } = JSON.parse(await readFile(join(root, packageDir, 'package.json'), 'utf-8')) as { name: string };
      await symlink(join(root, packageDir), join(root, 'node_modules', name));
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

async function copySources(root: string): Promise<void> {
  const head = await run('git', ['-C', WORKSPACE_ROOT, 'rev-parse', '--verify', '--quiet', 'HEAD'], root);
  if (head.code === 0) {
    const archive = await run('sh', ['-c', 'git -C "$0" archive HEAD | tar -x -C "$1"', WORKSPACE_ROOT, root], root);
    if (archive.code !== 0) throw new Error(`copying git HEAD of ${WORKSPACE_ROOT} failed: ${archive.output}`);
    return;
  }
  // Not a git checkout (an unpacked tarball): the working tree is all there is.
  await cp(WORKSPACE_ROOT, root, {
    recursive: true,
    filter: (source) => !SKIPPED.has(source.split('/').pop() ?? '') && !source.includes('/src/gen'),
  });
}

async function linkNodeModules(root: string): Promise<void> {
  const source = join(WORKSPACE_ROOT, 'node_modules');
  await mkdir(join(root, 'node_modules/@ballast'), { recursive: true });
  for (const entry of await readdir(source)) {
    // Dot entries are caches (.vite, .cache) the copy must not share, except the binaries.
    if (entry === '@ballast' || (entry.startsWith('.') && entry !== '.bin')) continue;
    await symlink(join(source, entry), join(root, 'node_modules', entry));
  }
  for (const group of ['packages', 'tools', 'apps']) {
    const dirs = await readdir(join(root, group)).catch(() => []);
    for (const dir of dirs) {
      const manifest = await readFile(join(root, group, dir, 'package.json'), 'utf-8').catch(() => undefined);
      if (manifest === undefined) continue;
      const { name } = JSON.parse(manifest) as { name?: string };
      if (name?.startsWith('@ballast/')) await symlink(join(root, group, dir), join(root, 'node_modules', name));
    }
  }
}
