import { readdir, readFile } from 'node:fs/promises';
import { LIVENESS_SERVICE, READINESS_SERVICE } from '@ballast/rpc';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { DEPLOY_PORTS } from '../src/deploy-ports.js';
import { SHOP_SERVICES } from '../src/shop-clients.js';

const DEPLOY = new URL('../../../deploy/', import.meta.url);
const KNOWN: Record<string, string[]> = {
  v1: ['Namespace', 'Service'],
  'apps/v1': ['Deployment', 'StatefulSet'],
  'kustomize.config.k8s.io/v1beta1': ['Kustomization'],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are checked field by field
type Doc = any;

async function manifests(): Promise<{ file: string; doc: Doc }[]> {
  const dir = new URL('kubernetes/', DEPLOY);
  const out: { file: string; doc: Doc }[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const parsed of parseAllDocuments(await readFile(new URL(file, dir), 'utf8'))) {
      expect(parsed.errors, file).toEqual([]);
      out.push({ file, doc: parsed.toJS() });
    }
  }
  return out;
}

const env = (container: Doc, name: string) => container.env.find((e: Doc) => e.name === name)?.value;
const port = (container: Doc, name: string) => container.ports.find((p: Doc) => p.name === name)?.containerPort;

describe('deploy/ manifests', () => {
  it('are known kinds and API versions, all listed in the kustomization', async () => {
    const docs = await manifests();
    for (const { file, doc } of docs) expect(KNOWN[doc.apiVersion], `${file}: ${doc.apiVersion}`).toContain(doc.kind);
    const kustomization = docs.find((d) => d.doc.kind === 'Kustomization')!.doc;
    const files = new Set(docs.map((d) => d.file).filter((f) => f !== 'kustomization.yaml'));
    expect(new Set(kustomization.resources)).toEqual(files);
  });

  it('run every shop service with gRPC health probes on the port the replica serves', async () => {
    const docs = await manifests();
    for (const service of SHOP_SERVICES) {
      const deployment = docs.find((d) => d.doc.kind === 'Deployment' && d.doc.metadata.name === service)?.doc;
      expect(deployment, service).toBeDefined();
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      // The selector must match the pods the template makes.
      expect(deployment.spec.template.metadata.labels).toEqual(
        expect.objectContaining(deployment.spec.selector.matchLabels),
      );
      const [container] = deployment.spec.template.spec.containers;
      expect(container.args.slice(0, 2)).toEqual(['apps/shop/src/replica-main.ts', service]);
      expect(port(container, 'grpc')).toBe(DEPLOY_PORTS.grpcPort);
      expect(Number(env(container, 'SHOP_PORT'))).toBe(DEPLOY_PORTS.grpcPort);
      expect(env(container, 'SHOP_HOST')).toBe('0.0.0.0');
      expect(env(container, 'SHOP_ADVERTISE_ADDRESS')).toBe(`$(POD_IP):${DEPLOY_PORTS.grpcPort}`);
      expect(container.livenessProbe.grpc).toEqual({ port: DEPLOY_PORTS.grpcPort, service: LIVENESS_SERVICE });
      expect(container.readinessProbe.grpc).toEqual({ port: DEPLOY_PORTS.grpcPort, service: READINESS_SERVICE });
      expect(port(container, 'metrics')).toBe(DEPLOY_PORTS.metricsPort);
      expect(Number(env(container, 'SHOP_METRICS_PORT'))).toBe(DEPLOY_PORTS.metricsPort);
      expect(Number(deployment.spec.template.metadata.annotations['prometheus.io/port'])).toBe(
        DEPLOY_PORTS.metricsPort,
      );
      expect(container.resources.limits).toEqual({ cpu: expect.anything(), memory: expect.anything() });
      expect(env(container, 'ETCD_ENDPOINTS').split(',')).toHaveLength(3);
      const svc = docs.find((d) => d.doc.kind === 'Service' && d.doc.metadata.name === service)?.doc;
      expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      expect(svc.spec.ports.find((p: Doc) => p.name === 'grpc').targetPort).toBe('grpc');
    }
  });

  it('run the gateway on its HTTP port with /healthz probes, and a 3-member etcd StatefulSet', async () => {
    const docs = await manifests();
    const gateway = docs.find((d) => d.doc.kind === 'Deployment' && d.doc.metadata.name === 'gateway')!.doc;
    const [container] = gateway.spec.template.spec.containers;
    expect(container.args).toEqual(['apps/shop/src/gateway-main.ts']);
    expect(port(container, 'http')).toBe(DEPLOY_PORTS.httpPort);
    expect(Number(env(container, 'SHOP_HTTP_PORT'))).toBe(DEPLOY_PORTS.httpPort);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.resources.limits).toBeDefined();
    // Bound to 0.0.0.0, the gateway needs a token: read from a Secret the operator creates, never shipped.
    expect(env(container, 'SHOP_HTTP_HOST')).toBe('0.0.0.0');
    const token = container.env.find((e: Doc) => e.name === 'BALLAST_GATEWAY_TOKEN');
    expect(token.valueFrom.secretKeyRef).toEqual({ name: 'gateway-token', key: 'token' });
    expect(docs.some((d) => d.doc.kind === 'Secret')).toBe(false);
    const hosts: string[] = env(container, 'SHOP_HTTP_ALLOWED_HOSTS').split(',');
    expect(hosts).toEqual(expect.arrayContaining(['gateway', 'gateway.ballast-shop.svc', 'localhost', '$(POD_IP)']));
    const annotations = gateway.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(DEPLOY_PORTS.httpPort);
    expect(annotations['prometheus.io/path']).toBe('/metrics');

    const etcd = docs.find((d) => d.doc.kind === 'StatefulSet')!.doc;
    expect(etcd.spec.replicas).toBe(3);
    const command: string[] = etcd.spec.template.spec.containers[0].command;
    const initial = command.find((c) => c.startsWith('--initial-cluster='))!;
    expect(initial.split('=').slice(1).join('=').split(',')).toHaveLength(3);
    expect(etcd.spec.template.spec.containers[0].resources.limits).toBeDefined();
    const endpoints: string = env(container, 'ETCD_ENDPOINTS');
    for (let i = 0; i < 3; i++) expect(endpoints).toContain(`etcd-${i}.${etcd.spec.serviceName}.ballast-shop.svc:2379`);
  });

  it('give Prometheus a scrape config and alert rules that parse, and a Grafana dashboard over the same metrics', async () => {
    const prometheus = parseYaml(await readFile(new URL('prometheus/prometheus.yml', DEPLOY), 'utf8'));
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.scrape_configs[0].kubernetes_sd_configs[0].role).toBe('pod');
    const alerts = parseYaml(await readFile(new URL('prometheus/alerts.yml', DEPLOY), 'utf8'));
    const rules = alerts.groups.flatMap((g: Doc) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(rule.expr).toMatch(/(ballast|grpc)_[a-z_]+/);
      expect(rule.annotations.summary).toBeTruthy();
    }
    const grafana = JSON.parse(await readFile(new URL('grafana/ballast-shop.json', DEPLOY), 'utf8'));
    expect(grafana.uid).toBe('ballast-shop');
    expect(grafana.panels.length).toBeGreaterThanOrEqual(6);
    for (const panel of grafana.panels) {
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr).toMatch(/(ballast|grpc)_[a-z_]+/);
    }
  });
});
