import {
  Client,
  credentials,
  Metadata,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';

/**
 * A plain @grpc/grpc-js client with hand-written wire encodings: what an outside tool sends,
 * with none of Ballast's (or nice-grpc's) client code in the way.
 */
export class RawClient {
  readonly client: Client;
  readonly #calls = new Set<{ cancel(): void }>();

  /** `ownConnection` gives this client its own HTTP/2 connection rather than a shared one. */
  constructor(address: string, ownConnection = true) {
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': ownConnection ? 1 : 0,
    });
  }

  unary(path: string, request: Buffer, deadlineMs = 10_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        new Metadata(),
        { deadline: Date.now() + deadlineMs },
        (error: ServiceError | null, response?: Buffer) => {
          this.#calls.delete(call);
          if (error) reject(error);
          else resolve(response!);
        },
      );
      this.#calls.add(call);
    });
  }

  serverStream(path: string, request: Buffer): ClientReadableStream<Buffer> {
    const call = this.client.makeServerStreamRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
    );
    call.on('error', () => undefined);
    this.#calls.add(call);
    return call;
  }

  /** A bidi stream that sends headers only, until `write` is called. */
  bidiStream(path: string): ClientDuplexStream<Buffer, Buffer> {
    const call = this.client.makeBidiStreamRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    call.on('error', () => undefined);
    this.#calls.add(call);
    return call;
  }

  close(): void {
    for (const call of this.#calls) call.cancel();
    this.#calls.clear();
    this.client.close();
  }
}

/** Resolves with the first message of a stream, rejects with its error. */
export function firstMessage(call: ClientReadableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    call.once('data', resolve);
    call.once('error', reject);
  });
}

// Protobuf wire encoding, enough for the few messages these tests send.
function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

export function stringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value);
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

export function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

/** Reads every field of a message: varints as numbers, length-delimited fields as Buffers. */
export function readFields(message: Buffer): Array<{ field: number; value: number | Buffer }> {
  const fields: Array<{ field: number; value: number | Buffer }> = [];
  let at = 0;
  const readVarint = () => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const b = message[at++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
  };
  while (at < message.length) {
    const tag = readVarint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) fields.push({ field, value: readVarint() });
    else if (wire === 2) {
      const length = readVarint();
      fields.push({ field, value: message.subarray(at, at + length) });
      at += length;
    } else throw new Error(`wire type ${wire} not handled`);
  }
  return fields;
}

export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
export const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';
export const REFLECTION_V1 = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo';
export const REFLECTION_V1ALPHA = '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo';
export const ECHO = '/ballast.testing.v1.EchoService/Echo';

/** HealthCheckResponse.status of a Check or Watch answer (0 when absent: UNKNOWN). */
export function healthStatus(response: Buffer): number {
  const status = readFields(response).find((f) => f.field === 1)?.value;
  return typeof status === 'number' ? status : 0;
}

export function healthRequest(service: string): Buffer {
  return service ? stringField(1, service) : Buffer.alloc(0);
}

export function echoRequest(message: string, delayMs = 0): Buffer {
  return Buffer.concat([stringField(1, message), delayMs ? varintField(2, delayMs) : Buffer.alloc(0)]);
}
