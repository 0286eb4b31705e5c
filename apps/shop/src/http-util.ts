import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientError, Status } from 'nice-grpc';
import { ShopError } from './errors.js';

/** An HTTP answer with a JSON body `{ error, … }`; thrown by handlers, written by the router. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const MAX_BODY_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** Reads a JSON body (empty = `{}`); 400 for bad JSON, 413 beyond 64 KiB. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** HTTP status for a gRPC failure: the caller's mistake keeps its meaning, anything else is 503. */
export function httpStatusOf(code: Status): number {
  switch (code) {
    case Status.INVALID_ARGUMENT:
      return 400;
    case Status.NOT_FOUND:
      return 404;
    case Status.FAILED_PRECONDITION:
    case Status.ALREADY_EXISTS:
      return 409;
    default:
      return 503;
  }
}

/** Writes any error as JSON; never throws, so one bad request never takes the gateway down. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message, ...error.extra });
  if (error instanceof ClientError) {
    return sendJson(res, httpStatusOf(error.code), {
      error: error.details,
      grpcStatus: Status[error.code],
      grpcCode: error.code,
      method: error.path,
    });
  }
  if (error instanceof ShopError) {
    const status = error.code === 'SHOP_UNKNOWN_REPLICA' ? 404 : error.code === 'SHOP_UNSUPPORTED' ? 409 : 400;
    return sendJson(res, status, { error: error.message, code: error.code });
  }
  sendJson(res, 500, { error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
}
