import { classify, type CallOutcome, type Endpoint } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { ClientError, createChannel, createClient, createServer, Status, type Channel, type Server } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { pino, type Logger } from 'pino';
import type { Detector, EndpointState, EndpointStateChange } from '../src/index.js';

/** Resolves with the first state change of `endpointId` matching `predicate`; rejects after `timeoutMs`. */
export function waitForChange(
  detector: Detector,
  endpointId: string,
  predicate: (state: EndpointState) => boolean,
  timeoutMs = 10_000,
): Promise<EndpointStateChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(
        new Error(
          `${endpointId} did not reach the state within ${timeoutMs} ms: ${JSON.stringify(detector.state(endpointId))}`,
        ),
      );
    }, timeoutMs);
    const stop = detector.onEndpointStateChange((change) => {
      if (change.endpoint.id !== endpointId || !predicate(change.current)) return;
      clearTimeout(timer);
      stop();
      resolve(change);
    });
  });
}

/** Real EchoService clients, one channel per endpoint; `call` returns the attempt's outcome. */
export function echoClients(endpoints: readonly Endpoint[]) {
  const channels = new Map<string, Channel>();
  const clients = new Map(
    endpoints.map((e) => {
      const channel = createChannel(e.address);
      channels.set(e.id, channel);
      return [e.id, createClient(EchoServiceDefinition, channel)] as const;
    }),
  );
  return {
    async call(endpointId: string): Promise<CallOutcome & { replica?: string }> {
      const started = performance.now();
      const method = '/ballast.testing.v1.EchoService/Echo';
      try {
        const response = await clients.get(endpointId)!.echo({ message: 'hi' }, { signal: AbortSignal.timeout(5000) });
        return {
          endpointId,
          code: Status.OK,
          signal: 'ok',
          latencyMs: performance.now() - started,
          method,
          replica: response.replica,
        };
      } catch (error) {
        const code = error instanceof ClientError ? error.code : Status.DEADLINE_EXCEEDED;
        return { endpointId, code, signal: classify(code), latencyMs: performance.now() - started, method };
      }
    },
    close(): void {
      for (const channel of channels.values()) channel.close();
    },
  };
}

/** A pino logger that keeps its records for assertions. */
export function capturingLogger(): { logger: Logger; records: { level: number; msg: string; endpoint?: string }[] } {
  const records: { level: number; msg: string; endpoint?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { logger, records };
}

/**
 * A health server on loopback that answers SERVING and counts the Checks it gets; `watchOpened`
 * and `watchCancelled` settle when the first Watch stream opens and when the client cancels it.
 */
export async function countingHealthServer(): Promise<{
  port: number;
  server: Server;
  readonly checks: number;
  watchOpened: Promise<void>;
  watchCancelled: Promise<void>;
}> {
  let checks = 0;
  let onOpened = () => {};
  let onCancelled = () => {};
  const watchOpened = new Promise<void>((resolve) => (onOpened = resolve));
  const watchCancelled = new Promise<void>((resolve) => (onCancelled = resolve));
  const server: Server = createServer();
  server.add(HealthDefinition, {
    check: async () => {
      checks++;
      return { status: 1 as never };
    },
    async *watch(_request, context) {
      onOpened();
      yield { status: 1 as never };
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      onCancelled();
    },
  });
  const port = await server.listen('127.0.0.1:0');
  return {
    port,
    server,
    get checks() {
      return checks;
    },
    watchOpened,
    watchCancelled,
  };
}
