export { EtcdCluster, EtcdMember, startEtcdCluster } from './etcd-cluster.js';
export type { EtcdClusterOptions, EtcdTlsOptions, MemberTarget } from './etcd-cluster.js';
export { EtcdNotFoundError, findEtcd } from './find-etcd.js';
export { memberStatus } from './member-status.js';
export type { MemberStatus, StatusTls } from './member-status.js';
