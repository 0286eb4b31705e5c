export { createEchoService, defaultBehaviour, EchoServiceDefinition } from './echo-service.js';
export type { EchoBehaviour, EchoCounters } from './echo-service.js';
export { startEchoServer } from './echo-server.js';
export type { EchoServer, EchoServerOptions } from './echo-server.js';
export { spawnEchoReplica, spawnReplica } from './echo-replica.js';
export type { EchoReplica, ReplicaCommand } from './echo-replica.js';
export { delay } from './delay.js';
export { makeTlsFixtures } from './tls-fixtures.js';
export type { TlsFixtures } from './tls-fixtures.js';
