import type { TestProject } from 'vitest/node';
import type {} from 'vitest';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Client URLs of the etcd cluster shared by a test run. */
    etcdEndpoints: string[];
  }
}

let cluster: EtcdCluster | undefined;

/**
 * Vitest global setup: one 3-member etcd cluster for the whole run, or the cluster named by
 * ETCD_ENDPOINTS. Fails loudly when etcd is missing: a suite that needs etcd never passes without it.
 */
export async function setup(project: TestProject): Promise<void> {
  const given = process.env.ETCD_ENDPOINTS?.split(',').filter(Boolean);
  if (given?.length) {
    project.provide('etcdEndpoints', given);
    return;
  }
  cluster = await startEtcdCluster({ members: 3 });
  project.provide('etcdEndpoints', cluster.endpoints);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
