import type {} from '@ballast/etcd-cluster/vitest-global-setup';
import { inject } from 'vitest';

/** Client URLs of the cluster the vitest global setup started (or ETCD_ENDPOINTS). */
export function etcdEndpoints(): string[] {
  return inject('etcdEndpoints');
}
