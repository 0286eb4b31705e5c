import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './http-util.js';

/**
 * Who may talk to the gateway. The dashboard's controls kill and freeze processes, so a page on
 * another site must not be able to drive them through a browser that can reach the gateway
 * (cross-site request forgery), nor through a DNS name rebound to the gateway's address.
 */
export interface RequestGuardPolicy {
  /** Host names (no port) the gateway answers to; compared case-insensitively. */
  readonly allowedHosts: readonly string[];
  /** When set, every mutating request must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
}

/** GET, HEAD and OPTIONS change nothing here; every other method is a control or an order. */
export function isMutating(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** True for addresses only this machine can reach: a gateway bound there needs no token. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/** The loopback names, plus the address the gateway is bound to unless it is a wildcard. */
export function defaultAllowedHosts(boundHost: string): string[] {
  const bound = boundHost.toLowerCase().replace(/^\[|\]$/g, '');
  const wildcard = bound === '0.0.0.0' || bound === '::';
  return wildcard || LOOPBACK_NAMES.includes(bound) ? [...LOOPBACK_NAMES] : [...LOOPBACK_NAMES, bound];
}

/** `example.com:80` → `example.com`, `[::1]:8080` → `::1`; undefined when there is no usable name. */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 1 ? value.slice(1, end) : undefined;
  }
  const name = value.split(':')[0]!.replace(/\.$/, '');
  return name || undefined;
}

/**
 * Throws the HttpError a request must get instead of being served; returns for a request that
 * may go on. Order: Host (421), then for mutating requests Origin and Sec-Fetch-Site (403), the
 * token (401) and the body's media type (415).
 */
export function guardRequest(req: IncomingMessage, path: string, policy: RequestGuardPolicy): void {
  // Probes and scrapers address a pod by its IP, and these two paths only read.
  if (path !== '/healthz' && path !== '/metrics') checkHost(req, policy);
  if (!isMutating(req.method)) return;
  checkOrigin(req);
  if (policy.token !== undefined) checkToken(req, policy.token);
  checkMediaType(req);
}

function checkHost(req: IncomingMessage, policy: RequestGuardPolicy): void {
  const name = hostnameOf(req.headers.host);
  if (name !== undefined && policy.allowedHosts.some((allowed) => allowed.toLowerCase() === name)) return;
  throw new HttpError(
    421,
    `this gateway does not answer to Host "${req.headers.host ?? ''}": ` +
      `use one of ${policy.allowedHosts.join(', ')}, or add the name to allowedHosts (SHOP_HTTP_ALLOWED_HOSTS)`,
    { code: 'HOST_NOT_ALLOWED' },
  );
}

function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  // Browsers send Origin with every POST, PUT and DELETE; tools such as curl send none.
  if (origin !== undefined && !sameOrigin(origin, req.headers.host)) {
    throw new HttpError(
      403,
      `cross-origin request refused: Origin ${origin} is not this gateway (${req.headers.host ?? 'no Host'}); ` +
        'use the dashboard on this gateway',
      { code: 'CROSS_ORIGIN' },
    );
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(
      403,
      `cross-site request refused (Sec-Fetch-Site: ${site}): use the dashboard on this gateway`,
      {
        code: 'CROSS_ORIGIN',
      },
    );
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:) and garbage
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  let target: URL;
  try {
    // The Host header carries no scheme; read it with the Origin's so default ports compare equal.
    target = new URL(`${parsed.protocol}//${host}`);
  } catch {
    return false;
  }
  return parsed.host === target.host;
}

function checkToken(req: IncomingMessage, token: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  // Hashes have equal lengths, so the comparison takes the same time whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (match && timingSafeEqual(digest(match[1]!), digest(token))) return;
  throw new HttpError(
    401,
    match
      ? 'the control token is wrong: send the gateway token (BALLAST_GATEWAY_TOKEN) as Authorization: Bearer <token>'
      : 'this gateway needs a control token for changes: send Authorization: Bearer <token> (BALLAST_GATEWAY_TOKEN)',
    { code: 'TOKEN_REQUIRED' },
    { 'www-authenticate': 'Bearer realm="ballast-shop"' },
  );
}

function checkMediaType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (type === undefined && !hasBody) return;
  const media = (type ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media)) return;
  // A form or text/plain body is what a cross-site page can send without a preflight.
  throw new HttpError(415, `send the body as JSON with Content-Type: application/json (got ${type ?? 'none'})`, {
    code: 'JSON_REQUIRED',
  });
}
