import { createServer, type Server } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import {
  createEchoService,
  defaultBehaviour,
  EchoServiceDefinition,
  type EchoBehaviour,
  type EchoCounters,
} from './echo-service.js';

export interface EchoServerOptions {
  /** Name the replica reports in every response. */
  replica: string;
  /** Defaults to 127.0.0.1:0 (a free port). */
  host?: string;
  port?: number;
  behaviour?: Partial<EchoBehaviour>;
  random?: () => number;
  /** Serve grpc.health.v1 (default true); false gives a peer that answers UNIMPLEMENTED. */
  health?: boolean;
}

export interface EchoServer {
  replica: string;
  address: string;
  port: number;
  server: Server;
  behaviour: EchoBehaviour;
  counters: EchoCounters;
  /** Overall ('') and per-service health; setStatus flips what Check and Watch report. */
  health: HealthState;
  /** Graceful: waits for in-flight calls. */
  close(): Promise<void>;
  /** Abrupt: cancels in-flight calls and closes connections. */
  kill(): void;
}

/** An EchoService replica in this process, listening on loopback. */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const behaviour = { ...defaultBehaviour(), ...options.behaviour };
  const counters: EchoCounters = { echo: 0, write: 0, count: 0 };
  const health = HealthState();
  const server = createServer();
  server.add(EchoServiceDefinition, createEchoService(options.replica, behaviour, counters, options.random));
  if (options.health !== false) server.add(HealthDefinition, HealthServiceImpl(health));
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(`${host}:${options.port ?? 0}`);
  return {
    replica: options.replica,
    address: `${host}:${port}`,
    port,
    server,
    behaviour,
    counters,
    health,
    close: () => server.shutdown(),
    kill: () => server.forceShutdown(),
  };
}
