export { EtcdCluster, EtcdMember, startEtcdCluster } from './etcd-cluster.js';
export type { EtcdClusterOptions, MemberTarget } from './etcd-cluster.js';
export { EtcdNotFoundError, findEtcd } from './find-etcd.js';
export { memberStatus } from './member-status.js';
export type { MemberStatus } from './member-status.js';
