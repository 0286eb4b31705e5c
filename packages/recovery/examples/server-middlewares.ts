// npx tsx --conditions=@ballast/source packages/recovery/examples/server-middlewares.ts
import { partLogger } from '@ballast/core';
import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { createChannel, createClient, createServer } from 'nice-grpc';
import { ClientError } from 'nice-grpc-common';
import {
  concurrencyCapMiddleware,
  createLoadShedder,
  deadlineInterceptor,
  deadlinePropagationServerMiddleware,
  handlerErrorsMiddleware,
  rapidResetGuard,
  streamLimit,
} from '@ballast/recovery';

const logger = partLogger('recovery', 'example');
// A grpc-js interceptor, first in the list: only the first one sees the HTTP/2 stream.
const guard = rapidResetGuard({ limit: { burst: 500, perSecond: 33 }, logger });
const server = createServer({ interceptors: [guard.interceptor, deadlineInterceptor] } as Parameters<
  typeof createServer
>[0])
  .use(handlerErrorsMiddleware(logger)) // a thrown non-ServerError → INTERNAL with an incident id; the stack goes to the log
  .use(streamLimit({ maxStreams: 1000, maxStreamsPerConnection: 100 }).middleware) // streams only
  .use(concurrencyCapMiddleware(1)) // hard cap on unary calls in flight (1, to show a refusal)
  .use(createLoadShedder({ limiter: { minLimit: 20 } }).middleware) // adaptive limit inside the cap
  .use(deadlinePropagationServerMiddleware);

let release: () => void = () => {};
let arrived: () => void = () => {};
const holding = new Promise<void>((resolve) => (arrived = resolve));
const notUsed = async () => {
  throw new Error('not used in this example');
};
const echo: EchoServiceImplementation = {
  echo: async (request) => {
    if (request.message === 'hold') {
      arrived();
      await new Promise<void>((resolve) => (release = resolve));
    }
    return { message: request.message, replica: 'example', payload: Buffer.alloc(0) };
  },
  write: notUsed,
  count: notUsed as never,
  chat: notUsed as never,
};
server.add(EchoServiceDefinition, echo);
const port = await server.listen('127.0.0.1:0');
const channel = createChannel(`127.0.0.1:${port}`);
const client = createClient(EchoServiceDefinition, channel);

const held = client.echo({ message: 'hold' });
// Once the held call has the cap's only place, the next one is refused at once.
await holding;
const refused = await client.echo({ message: 'second' }).catch((error: ClientError) => error);
console.log('refused:', refused instanceof ClientError ? refused.details : refused);
release();
console.log('held call answered:', (await held).message);
channel.close();
await server.shutdown();
