import { partLogger, type Logger } from '@ballast/core';
import { credentials, experimental, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { CertificateFiles, isPath, type Pem } from './certificate-files.js';

export type { Pem } from './certificate-files.js';

const DEFAULT_RELOAD_MS = 60_000;

export interface ServerTlsOptions {
  cert: Pem;
  key: Pem;
  /** CA that client certificates must chain to; with it, mTLS is on. */
  ca?: Pem;
  /** Refuse clients without a valid certificate (default: true when `ca` is given). */
  requireClientCert?: boolean;
  /**
   * How often certificate, key and CA given as file paths are read again, so rotated files take
   * effect without a restart (default 60 000 ms; 0 reads them once). New connections use the new
   * files; connections already up and their calls are untouched.
   */
  reloadIntervalMs?: number;
}

export interface ClientTlsOptions {
  /** CA the server certificate must chain to (default: the system roots). */
  ca?: Pem;
  /** The client's own certificate and key, for mTLS. */
  cert?: Pem;
  key?: Pem;
  /**
   * How often files given as paths are read again (default 60 000 ms; 0 reads them once). Needs
   * `ca`: with the system roots, credentials are read once.
   */
  reloadIntervalMs?: number;
}

/** Credentials and, when files are re-read, what re-reads them (its `onReload` tells of changes). */
export interface Tls<C> {
  readonly credentials: C;
  readonly certificates: CertificateFiles | undefined;
}

function load(pem: Pem | undefined): Buffer | null {
  if (pem === undefined) return null;
  if (Buffer.isBuffer(pem)) return pem;
  return isPath(pem) ? CertificateFiles.read(pem) : Buffer.from(pem);
}

function reloading(tls: { cert?: Pem; key?: Pem; ca?: Pem; reloadIntervalMs?: number }): boolean {
  return (tls.reloadIntervalMs ?? DEFAULT_RELOAD_MS) > 0 && [tls.cert, tls.key, tls.ca].some(isPath);
}

function files(tls: ServerTlsOptions | ClientTlsOptions, logger: Logger | undefined): CertificateFiles {
  return new CertificateFiles({
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    reloadIntervalMs: tls.reloadIntervalMs ?? DEFAULT_RELOAD_MS,
    logger: partLogger('rpc', 'tls', logger),
  });
}

/** Server credentials for `tls` (insecure without it); files given as paths are re-read. */
export function serverTls(tls: ServerTlsOptions | undefined, logger?: Logger): Tls<ServerCredentials> {
  if (!tls) return { credentials: ServerCredentials.createInsecure(), certificates: undefined };
  const requireClientCert = tls.requireClientCert ?? tls.ca !== undefined;
  if (reloading(tls)) {
    const certificates = files(tls, logger);
    // grpc-js's typings name the first parameter the CA provider, but it is used as the identity
    // provider and the second as the CA one (grpc-js 1.14): one provider serves both here.
    const credentials = experimental.createCertificateProviderServerCredentials(
      certificates,
      tls.ca !== undefined ? certificates : null,
      requireClientCert,
    );
    return { credentials, certificates };
  }
  const credentials = ServerCredentials.createSsl(
    load(tls.ca),
    [{ cert_chain: load(tls.cert)!, private_key: load(tls.key)! }],
    requireClientCert,
  );
  return { credentials, certificates: undefined };
}

/** Channel credentials for `tls` (insecure without it); files given as paths are re-read. */
export function clientTls(tls: ClientTlsOptions | undefined, logger?: Logger): Tls<ChannelCredentials> {
  if (!tls) return { credentials: credentials.createInsecure(), certificates: undefined };
  if (tls.ca !== undefined && reloading(tls)) {
    const certificates = files(tls, logger);
    const identity = tls.cert !== undefined && tls.key !== undefined ? certificates : null;
    const credentials = experimental.createCertificateProviderChannelCredentials(certificates, identity);
    return { credentials, certificates };
  }
  return {
    credentials: credentials.createSsl(load(tls.ca), load(tls.key), load(tls.cert)),
    certificates: undefined,
  };
}

export function serverCredentials(tls: ServerTlsOptions | undefined): ServerCredentials {
  return serverTls(tls).credentials;
}

export function clientCredentials(tls: ClientTlsOptions | undefined): ChannelCredentials {
  return clientTls(tls).credentials;
}
