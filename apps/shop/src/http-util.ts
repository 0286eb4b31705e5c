import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, ConflictError, InvalidValueError } from '@ballast/config';
import { ClientError, Status } from 'nice-grpc';
import { ShopError } from './errors.js';

/** An HTTP answer with a JSON body `{ error, … }`; thrown by handlers, written by the router. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const MAX_BODY_BYTES = 64 * 1024;
/**
 * A body over the limit but under this is read to its end and dropped, so the 413 arrives before
 * the connection is reused and the next request on it is answered. Beyond it the gateway answers
 * and closes: reading more would let one client make it swallow any amount of data.
 */
const MAX_DISCARD_BYTES = 1024 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const tooLarge = (close: boolean) =>
  new HttpError(
    413,
    `request body over ${MAX_BODY_BYTES} bytes: send a smaller JSON body`,
    { code: 'BODY_TOO_LARGE' },
    close ? { connection: 'close' } : {},
  );

/** Reads a JSON body (empty = `{}`); 400 for bad JSON, 413 beyond 64 KiB. */
export function readJson(req: IncomingMessage): Promise<unknown> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_DISCARD_BYTES) return Promise.reject(tooLarge(true));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      chunks.length = 0;
      if (size > MAX_DISCARD_BYTES) {
        req.off('data', onData);
        req.off('end', onEnd);
        reject(tooLarge(true));
      }
    };
    const onEnd = () => {
      if (size > MAX_BODY_BYTES) return reject(tooLarge(false));
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`, { code: 'BAD_JSON' }));
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });
}

/** A path segment, percent-decoded; a malformed escape (`%ZZ`) is the caller's mistake, not a 500. */
export function decodeSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `the ${what} in the path is not valid percent-encoding: "${segment}"`, {
      code: 'BAD_PATH',
    });
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

/**
 * The first line of an error message with network addresses cut out: upstream and store errors
 * name replica and etcd addresses (`connect ECONNREFUSED 10.0.3.7:50051`), which a browser has
 * no use for and an outsider should not learn. The gateway's log keeps the full error.
 */
export function publicMessage(message: string): string {
  const line = message.split('\n')[0]!.trim();
  return line
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s,;)'"]+/gi, '<address>')
    .replace(/\[[0-9a-f:.]+\](?::\d+)?/gi, '<address>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .replace(/\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d{2,5}\b/gi, '<address>');
}

/** Writes any error as JSON; never throws, so one bad request never takes the gateway down. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    return sendJson(res, error.status, { error: error.message, ...error.extra }, error.headers);
  }
  if (error instanceof ClientError) {
    const status = httpStatusOf(error.code);
    const details = publicMessage(error.details);
    return sendJson(res, status, {
      error: status === 503 ? `${error.path} failed with ${Status[error.code]}: ${details}; retry later` : details,
      grpcStatus: Status[error.code],
      grpcCode: error.code,
      method: error.path,
    });
  }
  if (error instanceof ShopError) {
    const status = error.code === 'SHOP_UNKNOWN_REPLICA' ? 404 : error.code === 'SHOP_UNSUPPORTED' ? 409 : 400;
    return sendJson(res, status, { error: error.message, code: error.code });
  }
  if (error instanceof InvalidValueError) {
    return sendJson(res, 400, { error: error.message, code: error.code, field: error.field });
  }
  if (error instanceof ConflictError) return sendJson(res, 409, { error: error.message, code: error.code });
  if (error instanceof ConfigError) {
    return sendJson(res, 503, {
      error: `the config store failed (${error.code}): ${publicMessage(error.message)}; retry later`,
      code: error.code,
    });
  }
  const name = error instanceof Error ? error.name : typeof error;
  sendJson(res, 500, {
    error: `internal error (${name}): ${publicMessage(error instanceof Error ? error.message : String(error))}`,
  });
}
