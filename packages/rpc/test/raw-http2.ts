import { connect, type Socket } from 'node:net';

// Frame types and flags of RFC 9113 that this client sends or reads.
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** RST_STREAM / GOAWAY error code CANCEL. */
export const CANCEL = 0x8;

export interface GoAway {
  readonly lastStreamId: number;
  readonly errorCode: number;
}

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** HPACK "literal header field without indexing, new name", for names and values under 127 bytes. */
function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  if (n.length > 126 || v.length > 126) throw new Error('header too long for this encoder');
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]);
}

function requestHeaders(authority: string, path: string): Buffer {
  return Buffer.concat([
    literal(':method', 'POST'),
    literal(':scheme', 'http'),
    literal(':path', path),
    literal(':authority', authority),
    literal('content-type', 'application/grpc'),
    literal('te', 'trailers'),
  ]);
}

/** A gRPC length-prefixed message. */
export function grpcMessage(body: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/**
 * An HTTP/2 client written frame by frame on a plain TCP socket: it does what an attacker's client
 * does and nothing more. It acknowledges SETTINGS, records GOAWAY and otherwise ignores what the
 * server sends, so whether the connection closes after GOAWAY is up to the server alone.
 */
export class RawHttp2Connection {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  goAway: GoAway | undefined;
  /** The server ended its side of the TCP connection (FIN or reset). */
  serverEnded = false;
  /** Whether PINGs are acknowledged; false plays a peer that has vanished but left its socket open. */
  answerPings = true;
  /** PINGs the server sent. */
  pingsReceived = 0;
  #nextStreamId = 1;
  #buffer = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('end', () => (this.serverEnded = true));
    socket.on('error', () => (this.serverEnded = true));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(host: string, port: number): Promise<RawHttp2Connection> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const connection = new RawHttp2Connection(socket);
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
    return connection;
  }

  /** Opens one unary call to `path` (HEADERS + DATA(END_STREAM)) and leaves it open; returns its stream id. */
  openCall(authority: string, path: string, message: Buffer): number {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    this.#write(
      Buffer.concat([
        frame(HEADERS, END_HEADERS, id, requestHeaders(authority, path)),
        frame(DATA, END_STREAM, id, message),
      ]),
    );
    return id;
  }

  /** Writes bytes as they are: frames no conforming client would send. */
  writeRaw(bytes: Buffer): void {
    this.#write(bytes);
  }

  /**
   * Opens `count` unary calls to `path`, each HEADERS + DATA(END_STREAM) then RST_STREAM(CANCEL)
   * at once: the request reaches the server and is abandoned before any answer.
   */
  openAndReset(count: number, authority: string, path: string, message: Buffer): number {
    const headers = requestHeaders(authority, path);
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(CANCEL);
    const frames: Buffer[] = [];
    const first = this.#nextStreamId;
    for (let i = 0; i < count; i++) {
      const id = this.#nextStreamId;
      this.#nextStreamId += 2;
      frames.push(
        frame(HEADERS, END_HEADERS, id, headers),
        frame(DATA, END_STREAM, id, message),
        frame(RST_STREAM, 0, id, rst),
      );
    }
    if (!this.socket.writable) return 0;
    this.socket.write(Buffer.concat(frames));
    return (this.#nextStreamId - first) / 2;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 9) {
      const length = this.#buffer.readUIntBE(0, 3);
      if (this.#buffer.length < 9 + length) return;
      const type = this.#buffer.readUInt8(3);
      const flags = this.#buffer.readUInt8(4);
      const payload = this.#buffer.subarray(9, 9 + length);
      this.#buffer = this.#buffer.subarray(9 + length);
      if (type === SETTINGS && !(flags & ACK)) this.#write(frame(SETTINGS, ACK, 0));
      else if (type === PING && !(flags & ACK)) {
        this.pingsReceived++;
        if (this.answerPings) this.#write(frame(PING, ACK, 0, Buffer.from(payload)));
      } else if (type === GOAWAY) {
        this.goAway = { lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, errorCode: payload.readUInt32BE(4) };
      }
    }
  }

  #write(data: Buffer): void {
    if (this.socket.writable) this.socket.write(data);
  }
}
