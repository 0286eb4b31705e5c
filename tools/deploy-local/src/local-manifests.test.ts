import { describe, expect, it } from 'vitest';
import { readManifests } from './deploy-local.js';
import { LOCAL_IMAGES } from './images.js';
import { LocalManifestError, localPods } from './local-manifests.js';

const options = { portBase: 23_000, images: LOCAL_IMAGES, gatewayToken: 'secret-token' };
const env = (pod: { manifest: { spec: { containers: { env: { name: string; value: string }[] }[] } } }, name: string) =>
  pod.manifest.spec.containers[0]!.env.find((e) => e.name === name)?.value;

describe('localPods()', () => {
  const pods = localPods(readManifests(), options);
  const byName = new Map(pods.map((p) => [p.name, p]));

  it('makes one pod per replica, etcd first, each on loopback ports no other pod uses', () => {
    expect(pods.map((p) => p.name)).toEqual([
      'etcd-0', 'etcd-1', 'etcd-2', 'catalog-0', 'catalog-1', 'inventory-0', 'inventory-1',
      'orders-0', 'orders-1', 'payments-0', 'payments-1', 'gateway-0', 'gateway-1',
    ]); // prettier-ignore
    const ports = pods.flatMap((p) => [...new Set(p.ports.values())]);
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(23_000);
    for (const pod of pods) expect(pod.manifest.spec.hostNetwork).toBe(true);
  });

  it('points replicas at their own ports and at the etcd pods by loopback address', () => {
    const catalog = byName.get('catalog-1')!;
    const grpc = catalog.ports.get('grpc')!;
    expect(env(catalog, 'SHOP_PORT')).toBe(String(grpc));
    expect(env(catalog, 'SHOP_HOST')).toBe('127.0.0.1');
    expect(env(catalog, 'SHOP_ADVERTISE_ADDRESS')).toBe(`127.0.0.1:${grpc}`);
    expect(env(catalog, 'SHOP_METRICS_PORT')).toBe(String(catalog.ports.get('metrics')));
    expect(catalog.manifest.spec.containers[0].args).toEqual(['apps/shop/src/replica-main.ts', 'catalog', 'catalog-1']);
    const etcdClients = ['etcd-0', 'etcd-1', 'etcd-2'].map((n) => `http://127.0.0.1:${byName.get(n)!.ports.get(2379)}`);
    expect(env(catalog, 'ETCD_ENDPOINTS')).toBe(etcdClients.join(','));
    expect(catalog.manifest.spec.containers[0].image).toBe('localhost/ballast-shop:0.1.0');
  });

  it('turns gRPC probes into ballast-health exec probes on the same service', () => {
    const orders = byName.get('orders-0')!;
    const container = orders.manifest.spec.containers[0];
    const addr = `127.0.0.1:${orders.ports.get('grpc')}`;
    expect(container.livenessProbe.exec.command).toEqual(['ballast-health', '-addr', addr, '-service', 'liveness']);
    expect(container.readinessProbe.exec.command).toEqual(['ballast-health', '-addr', addr, '-service', 'readiness']);
    expect(container.livenessProbe.grpc).toBeUndefined();
    expect(container.livenessProbe.periodSeconds).toBe(10);
  });

  it('gives etcd members their peers by loopback port and an emptyDir for data', () => {
    const etcd = byName.get('etcd-2')!;
    const command: string[] = etcd.manifest.spec.containers[0].command;
    const peer = (n: number) => byName.get(`etcd-${n}`)!.ports.get(2380);
    expect(command).toContain('--name=etcd-2');
    expect(command).toContain(`--listen-client-urls=http://127.0.0.1:${etcd.ports.get(2379)}`);
    expect(command).toContain(
      `--initial-cluster=etcd-0=http://127.0.0.1:${peer(0)},etcd-1=http://127.0.0.1:${peer(1)},etcd-2=http://127.0.0.1:${peer(2)}`,
    );
    // Volume names are global in podman: each member its own, or they would share one data dir.
    expect(etcd.manifest.spec.volumes).toEqual([{ name: 'etcd-2-data', emptyDir: {} }]);
    expect(etcd.manifest.spec.containers[0].volumeMounts).toEqual([
      { name: 'etcd-2-data', mountPath: '/var/lib/etcd' },
    ]);
    expect(etcd.manifest.spec.containers[0].image).toBe('localhost/ballast-etcd:bookworm');
  });

  it('gives the gateway the token as a value and a Node-run /healthz probe', () => {
    const gateway = byName.get('gateway-0')!;
    expect(env(gateway, 'BALLAST_GATEWAY_TOKEN')).toBe('secret-token');
    expect(env(gateway, 'SHOP_HTTP_PORT')).toBe(String(gateway.ports.get('http')));
    expect(gateway.manifest.spec.containers[0].livenessProbe.exec.command[2]).toContain(
      `http://127.0.0.1:${gateway.ports.get('http')}/healthz`,
    );
  });

  it('puts a prefix before every pod name and keeps the etcd addresses resolved', () => {
    const prefixed = localPods(readManifests(), { ...options, namePrefix: 'test-' });
    expect(prefixed[0]!.name).toBe('test-etcd-0');
    const command: string[] = prefixed[0]!.manifest.spec.containers[0].command;
    expect(command).toContain('--name=test-etcd-0');
    expect(command.find((c) => c.startsWith('--initial-cluster='))).toMatch(
      /^--initial-cluster=test-etcd-0=http:\/\/127\.0\.0\.1:\d+,test-etcd-1=http:\/\/127\.0\.0\.1:\d+,test-etcd-2=/,
    );
    const catalog = prefixed.find((p) => p.name === 'test-catalog-0')!;
    expect(catalog.manifest.spec.containers[0].args[2]).toBe('test-catalog-0');
    expect(env(catalog, 'ETCD_ENDPOINTS')).toBe(env(byName.get('catalog-0')!, 'ETCD_ENDPOINTS'));
  });

  it('refuses what a local pod cannot provide, naming the pod and the field', () => {
    const docs = readManifests() as {
      kind: string;
      spec: { template: { spec: { containers: { env: unknown[] }[] } } };
    }[];
    const etcd = docs.find((d) => d.kind === 'StatefulSet')!;
    const deployment = docs.find((d) => d.kind === 'Deployment');
    deployment!.spec.template.spec.containers[0]!.env.push({
      name: 'NODE',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(() => localPods([etcd, deployment], options)).toThrow(LocalManifestError);
    expect(() => localPods([etcd, deployment], options)).toThrow('catalog-0: env NODE reads spec.nodeName');
  });
});
