import { isIP } from 'node:net';
import { InvalidOptionError } from './errors.js';

/**
 * A `dns:` target as gRPC names it (https://github.com/grpc/grpc/blob/master/doc/naming.md):
 * `dns:[//authority/]host[:port]`. The authority, when given, is the DNS server to ask. A host
 * of the form `_service._proto.name` with no port is looked up as an SRV record, which carries
 * the ports (a Kubernetes headless Service publishes `_grpc._tcp.<svc>.<ns>.svc…` so).
 */
export type DnsTarget =
  | { readonly type: 'address'; readonly host: string; readonly port: number; readonly server?: string }
  | { readonly type: 'srv'; readonly name: string; readonly server?: string };

const DEFAULT_PORT = 443;

/** Whether `target` names DNS discovery (`dns:` scheme). */
export function isDnsTarget(target: string): boolean {
  return target.startsWith('dns:');
}

/** Parses a `dns:` target; throws InvalidOptionError naming what is wrong. */
export function parseDnsTarget(target: string, field = 'discover'): DnsTarget {
  if (!isDnsTarget(target)) throw new InvalidOptionError(field, `"${target}" is not a dns: target`);
  let rest = target.slice('dns:'.length);
  let server: string | undefined;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    if (slash < 0)
      throw new InvalidOptionError(field, `"${target}": expected dns:///host:port or dns://server/host:port`);
    server = rest.slice(2, slash) || undefined;
    rest = rest.slice(slash + 1);
  }
  if (rest === '') throw new InvalidOptionError(field, `"${target}" names no host`);
  const { host, port } = splitHostPort(rest, target, field);
  if (port === undefined && /^_[^.]+\._(tcp|udp)\./.test(host)) {
    return server === undefined ? { type: 'srv', name: host } : { type: 'srv', name: host, server };
  }
  const address = { type: 'address' as const, host, port: port ?? DEFAULT_PORT };
  return server === undefined ? address : { ...address, server };
}

function splitHostPort(text: string, target: string, field: string): { host: string; port: number | undefined } {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new InvalidOptionError(field, `"${target}": unclosed [ in an IPv6 address`);
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after.startsWith(':')) portText = after.slice(1);
    else if (after !== '') throw new InvalidOptionError(field, `"${target}": expected :port after ]`);
  } else if (text.split(':').length === 2) {
    [host, portText] = text.split(':') as [string, string];
  } else if (isIP(text) !== 6 && text.includes(':')) {
    throw new InvalidOptionError(field, `"${target}": write an IPv6 address in brackets, [::1]:port`);
  }
  if (portText === undefined) return { host, port: undefined };
  const port = Number(portText);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new InvalidOptionError(field, `"${target}": port "${portText}" is not in 1-65535`);
  }
  return { host, port };
}

/** host:port as grpc-js dials it (IPv6 in brackets). */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
