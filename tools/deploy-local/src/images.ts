import { join } from 'node:path';
import { ensureBaseImage } from './base-image.js';
import { podman, REPO_ROOT } from './podman.js';

/** What the manifests' images are here: built locally, never pulled. */
export const LOCAL_IMAGES = Object.freeze({
  'ballast-shop:0.1.0': 'localhost/ballast-shop:0.1.0',
  // Debian's etcd-server (3.4) on the same base: the manifests' etcd command line runs on it unchanged.
  'quay.io/coreos/etcd:v3.5.17': 'localhost/ballast-etcd:bookworm',
});

/**
 * The base (once per machine), then the shop and etcd images. podman build keeps layers: with the
 * lockfile unchanged, the dependency and codegen layers are reused and only the sources are copied.
 */
export async function buildImages(log: (line: string) => void): Promise<void> {
  const base = await ensureBaseImage(log);
  const build = (file: string, tag: string, context: string) =>
    podman(['build', '--layers', '--network', 'host', '--build-arg', `BASE=${base}`, '-f', file, '-t', tag, context], {
      log,
    });
  log(`building ${LOCAL_IMAGES['ballast-shop:0.1.0']}`);
  await build(join(REPO_ROOT, 'deploy/Dockerfile'), LOCAL_IMAGES['ballast-shop:0.1.0'], REPO_ROOT);
  log(`building ${LOCAL_IMAGES['quay.io/coreos/etcd:v3.5.17']}`);
  await build(
    join(REPO_ROOT, 'deploy/podman/etcd.Containerfile'),
    LOCAL_IMAGES['quay.io/coreos/etcd:v3.5.17'],
    join(REPO_ROOT, 'deploy/podman'),
  );
}
