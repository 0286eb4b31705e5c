import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHealthProbeArgs, probeHealth } from '@ballast/rpc';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parseDeployLocalOptions, type DeployLocalOptions } from './deploy-local-options.js';
import { buildImages, LOCAL_IMAGES } from './images.js';
import { localPods, type LocalPod } from './local-manifests.js';
import { DeployLocalError, podman, REPO_ROOT, requirePodman } from './podman.js';

export interface LocalDeployment {
  /** The gateway's dashboard and API, e.g. http://127.0.0.1:23130/. */
  readonly gatewayUrl: string;
  /** Bearer token of the gateway's controls. */
  readonly token: string;
  readonly pods: readonly LocalPod[];
  /** The played multi-document YAML. */
  readonly kubeFile: string;
}

/** deploy/kubernetes's documents in the kustomization's order (kustomize itself is not needed). */
export function readManifests(dir = join(REPO_ROOT, 'deploy/kubernetes')): unknown[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS()),
  );
}

/** Container names as podman kube play makes them: `<pod>-<container>`. */
export const containerName = (pod: LocalPod) => `${pod.name}-${pod.manifest.spec.containers[0].name}`;

/**
 * Builds the images, plays deploy/kubernetes as local pods on the host network (loopback ports),
 * and resolves once every pod is ready: etcd healthy, each replica's readiness SERVING, the gateway
 * answering /healthz.
 */
export async function deployLocal(input: DeployLocalOptions = {}): Promise<LocalDeployment> {
  const options = parseDeployLocalOptions(input);
  requirePodman();
  await buildImages(options.log);
  const token = randomBytes(32).toString('hex');
  const pods = localPods(readManifests(), {
    portBase: options.portBase,
    images: LOCAL_IMAGES,
    gatewayToken: token,
    namePrefix: options.namePrefix,
  });
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const kubeFile = join(options.stateDir, 'kube.yaml');
  writeFileSync(kubeFile, pods.map((pod) => stringify(pod.manifest)).join('---\n'), { mode: 0o600 });
  options.log(`podman kube play --network host ${kubeFile}`);
  // --replace: a deployment left from an earlier run is taken down first, not fought with.
  await podman(['kube', 'play', '--replace', '--network', 'host', kubeFile]);
  const gateway = pods.find((pod) => pod.owner === 'gateway')!;
  const deployment = { gatewayUrl: `http://127.0.0.1:${gateway.ports.get('http')}/`, token, pods, kubeFile };
  await waitUntilReady(pods, options.readyTimeoutMs, options.log);
  return deployment;
}

/** Stops and removes every pod, container and volume that the played file made. */
export async function downLocal(input: Pick<DeployLocalOptions, 'stateDir' | 'log'> = {}): Promise<boolean> {
  const options = parseDeployLocalOptions(input);
  requirePodman();
  const kubeFile = join(options.stateDir, 'kube.yaml');
  if (!existsSync(kubeFile)) {
    options.log(`nothing to take down: ${kubeFile} does not exist`);
    return false;
  }
  options.log(`podman kube down ${kubeFile}`);
  await podman(['kube', 'down', kubeFile]);
  rmSync(kubeFile);
  return true;
}

/** Whether one pod is ready now, as its readiness probe would say. */
export async function podReady(pod: LocalPod): Promise<boolean> {
  if (pod.owner === 'etcd') return httpOk(`http://127.0.0.1:${pod.ports.get('client')}/health`);
  if (pod.owner === 'gateway') return httpOk(`http://127.0.0.1:${pod.ports.get('http')}/healthz`);
  const probe = pod.manifest.spec.containers[0].readinessProbe.exec.command.slice(1) as string[];
  return (await probeHealth(parseHealthProbeArgs(probe))).exitCode === 0;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function waitUntilReady(pods: readonly LocalPod[], timeoutMs: number, log: (line: string) => void) {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...pods];
  while (waiting.length > 0) {
    const ready = await Promise.all(waiting.map(podReady));
    const next = waiting.filter((_, i) => !ready[i]);
    if (next.length < waiting.length) log(`ready: ${pods.length - next.length}/${pods.length} pods`);
    waiting = next;
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      const logs = await Promise.all(
        waiting.map(async (pod) => {
          const { stdout } = await podman(['logs', '--tail', '5', containerName(pod)], { okCodes: [125] });
          return `--- ${pod.name}\n${stdout.trim()}`;
        }),
      );
      throw new DeployLocalError(
        'NOT_READY',
        `not ready after ${timeoutMs} ms: ${waiting.map((p) => p.name).join(', ')}; their last log lines:\n${logs.join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
