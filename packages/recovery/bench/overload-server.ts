import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { delay } from '@ballast/testing';
import { createServer, type Server } from 'nice-grpc';
import type { ServerMiddleware } from 'nice-grpc-common';

/**
 * An echo server with `workers` slots of `workMs` each: calls beyond them queue, as on a saturated
 * host. Work is not cancellable, like most real handlers, so abandoned calls still cost capacity.
 */
export async function startSaturableServer(
  workers: number,
  workMs: number,
  middleware?: ServerMiddleware,
): Promise<{ address: string; close(): void }> {
  let busy = 0;
  const queue: (() => void)[] = [];
  const unused = async () => {
    throw new Error('not used');
  };
  const echo: EchoServiceImplementation['echo'] = async (request) => {
    if (busy >= workers) await new Promise<void>((resolve) => queue.push(resolve));
    busy++;
    try {
      await delay(workMs);
      return { message: request.message, replica: 'overload', payload: Buffer.alloc(0) };
    } finally {
      busy--;
      queue.shift()?.();
    }
  };
  const base = createServer();
  const server: Server = middleware ? base.use(middleware) : base;
  server.add(EchoServiceDefinition, { echo, write: unused, count: unused as never, chat: unused as never });
  const port = await server.listen('127.0.0.1:0');
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}
