import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

/** A PEM as a file path or its contents. */
export type Pem = string | Buffer;

export interface ServerTlsOptions {
  cert: Pem;
  key: Pem;
  /** CA that client certificates must chain to; with it, mTLS is on. */
  ca?: Pem;
  /** Refuse clients without a valid certificate (default: true when `ca` is given). */
  requireClientCert?: boolean;
}

export interface ClientTlsOptions {
  /** CA the server certificate must chain to (default: the system roots). */
  ca?: Pem;
  /** The client's own certificate and key, for mTLS. */
  cert?: Pem;
  key?: Pem;
}

function load(pem: Pem | undefined): Buffer | null {
  if (pem === undefined) return null;
  if (Buffer.isBuffer(pem)) return pem;
  return pem.includes('-----BEGIN') ? Buffer.from(pem) : readFileSync(pem);
}

export function serverCredentials(tls: ServerTlsOptions | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const ca = load(tls.ca);
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: load(tls.cert)!, private_key: load(tls.key)! }],
    tls.requireClientCert ?? ca !== null,
  );
}

export function clientCredentials(tls: ClientTlsOptions | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return credentials.createSsl(load(tls.ca), load(tls.key), load(tls.cert));
}
