/**
 * deploy/kubernetes as podman kube play runs it on one machine: every Deployment and StatefulSet
 * becomes one Pod per replica on the host network, each on loopback ports of its own (they would all
 * want 50051 otherwise), cluster DNS names become 127.0.0.1 with the owner's port, gRPC probes become
 * exec probes of ballast-health (podman has no gRPC probe), volume claims become emptyDir (local state
 * is thrown away with the pods) and the token Secret becomes a literal value. Pure: manifests in,
 * manifests out.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes objects, rewritten field by field
type Doc = any;

export interface LocalManifestOptions {
  /** First host port; each pod gets a block of ten from here, in manifest order. Keep it below the ephemeral range. */
  readonly portBase: number;
  /** What each `image:` of the manifests is here (a locally built image); others stay as they are. */
  readonly images: Readonly<Record<string, string>>;
  /** The gateway's bearer token (a Secret in Kubernetes). */
  readonly gatewayToken: string;
  /** Put before every pod name (kustomize's namePrefix), so two deployments can run side by side. */
  readonly namePrefix?: string;
}

export interface LocalPod {
  readonly name: string;
  /** The Deployment or StatefulSet it comes from. */
  readonly owner: string;
  /** containerPort (number and name) → host port. */
  readonly ports: ReadonlyMap<number | string, number>;
  readonly manifest: Doc;
}

export class LocalManifestError extends Error {
  readonly code = 'UNSUPPORTED_MANIFEST';
  constructor(message: string) {
    super(message);
    this.name = 'LocalManifestError';
  }
}

const PORTS_PER_POD = 10;
const LOOPBACK = '127.0.0.1';

/** Every Pod the manifests describe, in order (etcd before the services that need it). */
export function localPods(docs: readonly Doc[], options: LocalManifestOptions): LocalPod[] {
  const planned: { name: string; owner: Doc; ports: Map<number | string, number> }[] = [];
  for (const doc of docs) {
    if (doc.kind !== 'Deployment' && doc.kind !== 'StatefulSet') continue;
    const container = onlyContainer(doc);
    for (let i = 0; i < (doc.spec.replicas ?? 1); i++) {
      const base = options.portBase + planned.length * PORTS_PER_POD;
      const ports = new Map<number | string, number>();
      (container.ports ?? []).forEach((p: Doc, j: number) => {
        if (j >= PORTS_PER_POD) throw new LocalManifestError(`${doc.metadata.name}: more than ${PORTS_PER_POD} ports`);
        ports.set(p.containerPort, base + j);
        if (p.name) ports.set(p.name, base + j);
      });
      planned.push({ name: `${doc.metadata.name}-${i}`, owner: doc, ports });
    }
  }
  const byName = new Map(planned.map((p) => [p.name, p]));
  // `<pod>.<service>.<namespace>.svc:<port>` (StatefulSet DNS) → the pod's host port on loopback.
  const hostPort = (pod: string, port: number) => {
    const prefix = options.namePrefix ?? '';
    const unprefixed = prefix && pod.startsWith(prefix) ? pod.slice(prefix.length) : pod;
    const target = byName.get(unprefixed)?.ports.get(port);
    if (target === undefined) throw new LocalManifestError(`no local pod "${pod}" with port ${port} for its DNS name`);
    return target;
  };
  return planned.map(({ name: replica, owner, ports }) => {
    const name = `${options.namePrefix ?? ''}${replica}`;
    const rewrite = (text: string) =>
      text
        .replaceAll('$(POD_NAME)', name)
        .replace(/(?:\$\(POD_IP\)|\b0\.0\.0\.0):(\d+)/g, (_, port) => `${LOOPBACK}:${ports.get(Number(port)) ?? port}`)
        .replaceAll('$(POD_IP)', LOOPBACK)
        // Member lists such as etcd's --initial-cluster=etcd-0=http://…: the names carry the prefix too.
        .replace(/([=,])([a-z0-9-]+)=/g, (match, separator, pod) =>
          byName.has(pod) ? `${separator}${options.namePrefix ?? ''}${pod}=` : match,
        )
        .replace(
          /\b([a-z0-9-]+)\.[a-z0-9-]+\.[a-z0-9-]+\.svc(?:\.cluster\.local)?:(\d+)/g,
          (_, pod, port) => `${LOOPBACK}:${hostPort(pod, Number(port))}`,
        );
    return { name, owner: owner.metadata.name, ports, manifest: podFor(owner, name, ports, rewrite, options) };
  });
}

function onlyContainer(doc: Doc): Doc {
  const containers = doc.spec.template.spec.containers;
  if (containers.length !== 1)
    throw new LocalManifestError(`${doc.metadata.name}: ${containers.length} containers; local pods take exactly one`);
  return containers[0];
}

function podFor(
  owner: Doc,
  name: string,
  ports: Map<number | string, number>,
  rewrite: (text: string) => string,
  options: LocalManifestOptions,
): Doc {
  const template = owner.spec.template;
  const container = onlyContainer(owner);
  const port = (ref: number | string) => {
    const mapped = ports.get(ref);
    if (mapped === undefined) throw new LocalManifestError(`${name}: probe port "${ref}" is not a container port`);
    return mapped;
  };
  const env = (container.env ?? []).map((e: Doc) => localEnv(e, name, ports, rewrite, options));
  // podman names a pod's volumes after the manifest's volume names, globally: each pod gets its own.
  const volumeName = (volume: string) => `${name}-${volume}`;
  const volumes = [
    ...(template.spec.volumes ?? []).map((v: Doc) => ({ ...v, name: volumeName(v.name) })),
    // A claim per pod in Kubernetes; here the data lives and dies with the pod.
    ...(owner.spec.volumeClaimTemplates ?? []).map((claim: Doc) => ({
      name: volumeName(claim.metadata.name),
      emptyDir: {},
    })),
  ];
  const volumeMounts = container.volumeMounts?.map((m: Doc) => ({ ...m, name: volumeName(m.name) }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { ...template.metadata.labels, 'ballast.dev/owner': owner.metadata.name },
      annotations: template.metadata.annotations,
    },
    spec: {
      hostNetwork: true,
      restartPolicy: template.spec.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: template.spec.terminationGracePeriodSeconds,
      containers: [
        {
          name: container.name,
          image: options.images[container.image] ?? container.image,
          ...(container.command && { command: container.command.map(rewrite) }),
          ...(container.args && { args: container.args.map(rewrite) }),
          env,
          livenessProbe: container.livenessProbe && localProbe(container.livenessProbe, port),
          readinessProbe: container.readinessProbe && localProbe(container.readinessProbe, port),
          resources: container.resources,
          volumeMounts,
        },
      ],
      ...(volumes.length > 0 && { volumes }),
    },
  };
}

function localEnv(
  e: Doc,
  pod: string,
  ports: Map<number | string, number>,
  rewrite: (text: string) => string,
  options: LocalManifestOptions,
): Doc {
  if (e.valueFrom?.fieldRef) {
    const field = e.valueFrom.fieldRef.fieldPath;
    if (field === 'metadata.name') return { name: e.name, value: pod };
    if (field === 'status.podIP') return { name: e.name, value: LOOPBACK };
    throw new LocalManifestError(`${pod}: env ${e.name} reads ${field}, which local pods do not provide`);
  }
  if (e.valueFrom?.secretKeyRef) {
    const { name, key } = e.valueFrom.secretKeyRef;
    if (name === 'gateway-token' && key === 'token') return { name: e.name, value: options.gatewayToken };
    throw new LocalManifestError(`${pod}: env ${e.name} reads secret ${name}/${key}, which local pods do not provide`);
  }
  const value = String(e.value);
  // Listen on loopback only; a port setting that names a container port takes the pod's host port.
  if (/_HOST$/.test(e.name) && value === '0.0.0.0') return { name: e.name, value: LOOPBACK };
  if (/_PORT$/.test(e.name) && ports.has(Number(value)))
    return { name: e.name, value: String(ports.get(Number(value))) };
  return { name: e.name, value: rewrite(value) };
}

/** podman kube play runs exec, httpGet and tcpSocket probes; gRPC ones become ballast-health. */
function localProbe(probe: Doc, port: (ref: number | string) => number): Doc {
  const { grpc, httpGet, ...timing } = probe;
  if (grpc) {
    const command = ['ballast-health', '-addr', `${LOOPBACK}:${port(grpc.port)}`];
    return { ...timing, exec: { command: grpc.service ? [...command, '-service', grpc.service] : command } };
  }
  if (httpGet) {
    // The image has Node but no curl, which podman's httpGet probe runs.
    const url = `http://${LOOPBACK}:${port(httpGet.port)}${httpGet.path ?? '/'}`;
    const check = `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
    return { ...timing, exec: { command: ['node', '-e', check] } };
  }
  return probe;
}
