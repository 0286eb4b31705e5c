import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '@ballast/config';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  containerName,
  deployLocal,
  downLocal,
  podman,
  podReady,
  requirePodman,
  type LocalDeployment,
  type LocalPod,
} from '../src/index.js';

// The shop's manifests as pods under podman kube play (npm run setup installs podman). Its own names
// and ports, so a developer's `npm run deploy:local` on the default ones is left alone.
const PREFIX = 'test-';
const stateDir = mkdtempSync(join(tmpdir(), 'ballast-deploy-test-'));
const log = (line: string) => process.env.DEPLOY_LOCAL_VERBOSE && process.stderr.write(line);
let deployment: LocalDeployment;
let store: EtcdStore | undefined;

const names = async (args: string[]) => new Set((await podman(args)).stdout.split('\n').filter(Boolean));
const snapshot = async () => ({
  containers: await names(['ps', '-a', '--format', '{{.Names}}']),
  pods: await names(['pod', 'ls', '--format', '{{.Name}}']),
  volumes: await names(['volume', 'ls', '--format', '{{.Name}}']),
});
let before: Awaited<ReturnType<typeof snapshot>>;

const pod = (name: string): LocalPod => deployment.pods.find((p) => p.name === `${PREFIX}${name}`)!;

/** CatalogService calls this replica's current process has served, from its /metrics. */
async function catalogCalls(replica: LocalPod): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${replica.ports.get('metrics')}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('grpc_server_handled_total{') && line.includes('shop.v1.CatalogService'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Product listings through the gateway pod; each one is a CatalogService call the gateway balances. */
async function listProducts(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = await fetch(new URL('api/products', deployment.gatewayUrl));
    expect(response.status).toBe(200);
    await response.json();
  }
}

async function inspect(container: string): Promise<{ pid: number; restarts: number; status: string }> {
  const format = '{{.State.Pid}} {{.RestartCount}} {{.State.Status}}';
  const [pid, restarts, status] = (await podman(['inspect', '--format', format, container])).stdout.trim().split(' ');
  return { pid: Number(pid), restarts: Number(restarts), status: status! };
}

async function setUnready(replica: LocalPod, unready: boolean): Promise<void> {
  store ??= await EtcdStore.connect({
    endpoints: ['etcd-0', 'etcd-1', 'etcd-2'].map((n) => `http://127.0.0.1:${pod(n).ports.get('client')}`),
  });
  await store.put(`shop/config/faults/${replica.name}`, JSON.stringify({ delayMs: 0, unready }));
}

describe('deploy/kubernetes under podman kube play', () => {
  beforeAll(async () => {
    requirePodman();
    before = await snapshot();
    deployment = await deployLocal({ portBase: 24_000, namePrefix: PREFIX, stateDir, log });
  }, 900_000);

  afterAll(async () => {
    await store?.close();
    await downLocal({ stateDir }).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('answers through the gateway pod, with every pod of the manifests running', async () => {
    const running = await names(['ps', '--format', '{{.Names}}']);
    for (const p of deployment.pods) expect(running, p.name).toContain(containerName(p));
    const response = await fetch(new URL('api/products', deployment.gatewayUrl));
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toMatch(/sku/i);
  });

  it('restarts a replica whose process is killed, and the gateway routes to its new incarnation', async () => {
    const replica = pod('catalog-0');
    const container = containerName(replica);
    const old = await inspect(container);
    expect(old.status).toBe('running');
    // The process dies as in a crash: `podman kill` would count as a stop by the user, which
    // podman's restart policy (like Docker's) leaves stopped.
    process.kill(old.pid, 'SIGKILL');
    await vi.waitFor(
      async () => {
        const now = await inspect(container);
        expect(now.restarts).toBe(old.restarts + 1);
        expect(now.status).toBe('running');
        expect(await podReady(replica)).toBe(true);
      },
      { timeout: 60_000, interval: 250 },
    );
    // A fresh process counts from zero: calls it served came through discovery of the new instance.
    await vi.waitFor(
      async () => {
        await listProducts(4);
        expect(await catalogCalls(replica)).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 250 },
    );
  });

  it('stops sending to a replica whose readiness goes NOT_SERVING, and resumes when it is back', async () => {
    const [unready, ready] = [pod('catalog-1'), pod('catalog-0')];
    await setUnready(unready, true);
    // The image's exec probe says what the kubelet would be told.
    const addr = `127.0.0.1:${unready.ports.get('grpc')}`;
    const probe = ['exec', containerName(unready), 'ballast-health', '-addr', addr, '-service', 'readiness'];
    await vi.waitFor(async () => expect((await podman(probe, { okCodes: [4] })).code).toBe(4), {
      timeout: 30_000,
      interval: 250,
    });
    // Once the gateway's health checks have seen it, every call goes to the other replica.
    await vi.waitFor(
      async () => {
        const calls = await catalogCalls(unready);
        await listProducts(4);
        expect(await catalogCalls(unready)).toBe(calls);
      },
      { timeout: 30_000, interval: 250 },
    );
    const [unreadyBefore, readyBefore] = [await catalogCalls(unready), await catalogCalls(ready)];
    await listProducts(30);
    expect(await catalogCalls(unready)).toBe(unreadyBefore);
    expect(await catalogCalls(ready)).toBeGreaterThanOrEqual(readyBefore + 30);

    await setUnready(unready, false);
    await vi.waitFor(
      async () => {
        await listProducts(4);
        expect(await catalogCalls(unready)).toBeGreaterThan(unreadyBefore);
      },
      { timeout: 30_000, interval: 250 },
    );
  });

  it('kube down leaves no container, pod or volume behind', async () => {
    await store?.close();
    store = undefined;
    expect(await downLocal({ stateDir })).toBe(true);
    const after = await snapshot();
    for (const p of deployment.pods) {
      expect(after.pods).not.toContain(p.name);
      expect(after.containers).not.toContain(containerName(p));
    }
    expect([...after.containers].filter((c) => !before.containers.has(c))).toEqual([]);
    expect([...after.pods].filter((p) => !before.pods.has(p))).toEqual([]);
    expect([...after.volumes].filter((v) => !before.volumes.has(v))).toEqual([]);
  }, 120_000);
});
