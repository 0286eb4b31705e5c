import * as grpc from '@grpc/grpc-js';
import { CallContext, callContextOf, type CallContextOptions } from '@ballast/core';
import { AbortError } from 'abort-controller-x';
import type { CompatServiceDefinition } from 'nice-grpc';
import * as definitions from 'nice-grpc/lib/service-definitions/index.js';
import {
  ClientError,
  Metadata,
  Status,
  type CallOptions,
  type ClientMiddleware,
  type ClientMiddlewareCall,
} from 'nice-grpc-common';
import type { BalancedChannel } from './balanced-channel.js';

interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: unknown): Uint8Array;
  responseDeserialize(bytes: Uint8Array): unknown;
}

// nice-grpc's own normalisation (ts-proto, grpc-js and nice-grpc definitions alike); its typings
// leave it out as internal.
const normalizeServiceDefinition = (
  definitions as unknown as {
    normalizeServiceDefinition(definition: CompatServiceDefinition): Record<string, MethodDefinition>;
  }
).normalizeServiceDefinition;

interface UnaryMethod {
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

const noop = () => {};

/**
 * The innermost middleware of a client over a balanced channel: it issues unary calls on the
 * channel itself, with the call's CallContext, instead of handing them to nice-grpc's own
 * transport, which cannot carry one. Through it the balanced channel knows which endpoints the
 * call already tried, writes each attempt's outcome back for retry and hedging, enforces the
 * call's deadline and sends it on the wire as `grpc-timeout`, and can move the attempt when its
 * endpoint is taken out. Streaming calls go on to nice-grpc unchanged.
 *
 * It must be the innermost layer, which in nice-grpc is the first `use`:
 * `createClientFactory().use(balancedUnary(channel, Definition)).use(retry.middleware)`.
 */
export function balancedUnary(
  channel: BalancedChannel,
  definition: CompatServiceDefinition,
): ClientMiddleware<CallContextOptions> {
  const methods = new Map<string, UnaryMethod>();
  for (const method of Object.values(normalizeServiceDefinition(definition))) {
    if (method.requestStream || method.responseStream) continue;
    methods.set(method.path, { serialize: method.requestSerialize, deserialize: method.responseDeserialize });
  }
  return <Request, Response>(call: ClientMiddlewareCall<Request, Response>, options: CallOptions) => {
    const method = methods.get(call.method.path);
    if (method === undefined || call.requestStream || call.responseStream) return call.next(call.request, options);
    const context = callContextOf(options) ?? new CallContext(call.method.path);
    return unary<Response>(channel, call.method.path, method, call.request, options, context);
  };
}

// eslint-disable-next-line require-yield -- a unary call returns its response and yields nothing
async function* unary<Response>(
  channel: BalancedChannel,
  path: string,
  method: UnaryMethod,
  request: unknown,
  options: CallOptions,
  context: CallContext,
): AsyncGenerator<never, Response, undefined> {
  return await new Promise<Response>((resolve, reject) => {
    const { signal, onHeader, onTrailer } = options;
    if (signal?.aborted) return reject(new AbortError());
    let bytes: Uint8Array;
    try {
      bytes = method.serialize(request);
    } catch (error) {
      return reject(new ClientError(path, Status.INTERNAL, `the request could not be serialised: ${String(error)}`));
    }
    const call = channel.createContextCall(path, context.deadlineAt, context);
    let response: Buffer | undefined;
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      call.cancelWithStatus(Status.CANCELLED, 'Cancelled on client');
      reject(new AbortError());
    };
    signal?.addEventListener('abort', onAbort);
    call.start(toGrpcMetadata(options.metadata), {
      onReceiveMetadata(metadata) {
        onHeader?.(fromGrpcMetadata(metadata));
      },
      onReceiveMessage(message: Buffer) {
        if (response === undefined) response = message;
        else call.cancelWithStatus(Status.UNIMPLEMENTED, 'Too many responses received');
      },
      onReceiveStatus(status) {
        signal?.removeEventListener('abort', onAbort);
        onTrailer?.(fromGrpcMetadata(status.metadata));
        if (settled) return;
        settled = true;
        if (status.code !== Status.OK) return reject(new ClientError(path, status.code, status.details));
        if (response === undefined) return reject(new ClientError(path, Status.UNIMPLEMENTED, 'No message received'));
        try {
          resolve(method.deserialize(response) as Response);
        } catch (error) {
          reject(new ClientError(path, Status.INTERNAL, `the response could not be parsed: ${String(error)}`));
        }
      },
    });
    call.sendMessageWithContext({ callback: noop }, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    call.halfClose();
    call.startRead();
  });
}

function toGrpcMetadata(metadata: Metadata | undefined): grpc.Metadata {
  const result = new grpc.Metadata();
  if (metadata === undefined) return result;
  for (const [key, values] of metadata) {
    for (const value of values) result.add(key, typeof value === 'string' ? value : Buffer.from(value));
  }
  return result;
}

function fromGrpcMetadata(grpcMetadata: grpc.Metadata): Metadata {
  const metadata = Metadata();
  for (const key of Object.keys(grpcMetadata.getMap())) metadata.set(key, grpcMetadata.get(key) as string[]);
  return metadata;
}
