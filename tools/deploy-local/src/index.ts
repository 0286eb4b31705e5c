export { baseImageName, debianMirror, ensureBaseImage } from './base-image.js';
export { containerName, deployLocal, downLocal, podReady, readManifests } from './deploy-local.js';
export type { LocalDeployment } from './deploy-local.js';
export { parseDeployLocalOptions } from './deploy-local-options.js';
export type { DeployLocalOptions } from './deploy-local-options.js';
export { buildImages, LOCAL_IMAGES } from './images.js';
export { localPods, LocalManifestError } from './local-manifests.js';
export type { LocalManifestOptions, LocalPod } from './local-manifests.js';
export { CONTAINERS_CONF, DeployLocalError, podman, requirePodman } from './podman.js';
