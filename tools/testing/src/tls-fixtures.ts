import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files on disk (etcd reads paths) and their contents (gRPC credentials take PEM). */
export interface TlsFixtures {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** A client certificate from a CA nobody trusts. */
  strangerCert: Buffer;
  strangerKey: Buffer;
  /** Removes the temp dir; safe to call twice. */
  remove(): void;
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a client
 * certificate from another CA, made by openssl in a temp dir. The server certificate also allows
 * clientAuth: with --client-cert-auth, etcd's own JSON gateway dials its gRPC port with it.
 */
export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (cn: string, file: string) => ['-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', file];
  const ca = (name: string) => ssl('req', '-x509', ...key(name, `${name}.key`), '-days', '2', '-out', `${name}.crt`);
  const leaf = (name: string, caName: string, ext: string) => {
    ssl('req', ...key(name, `${name}.key`), '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    const sign = ['-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', '2'];
    ssl('x509', '-req', '-in', `${name}.csr`, ...sign, '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  try {
    ca('ca');
    ca('other-ca');
    leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth');
    leaf('client', 'ca', 'extendedKeyUsage=clientAuth');
    leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const read = (file: string) => readFileSync(join(dir, file));
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    strangerCert: read('stranger.crt'),
    strangerKey: read('stranger.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One CA with a server certificate (127.0.0.1/localhost) and a client certificate it signed. */
export interface CertificateSet {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

/**
 * `count` independent certificate sets (each its own CA), for tests that rotate from one to the
 * next. Made by openssl in a temp dir that is removed before this returns.
 */
export function makeCertificateSets(count: number): CertificateSet[] {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-tls-sets-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (cn: string, file: string) => ['-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', file];
  const read = (file: string) => readFileSync(join(dir, file));
  try {
    return Array.from({ length: count }, (_, i) => {
      const ca = `ca${i}`;
      ssl('req', '-x509', ...key(`Ballast test CA ${i}`, `${ca}.key`), '-days', '2', '-out', `${ca}.crt`);
      const leaf = (name: string, ext: string) => {
        ssl('req', ...key(name, `${name}.key`), '-out', `${name}.csr`);
        writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
        const sign = ['-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2'];
        ssl('x509', '-req', '-in', `${name}.csr`, ...sign, '-extfile', `${name}.ext`, '-out', `${name}.crt`);
      };
      leaf(`server${i}`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
      leaf(`client${i}`, 'extendedKeyUsage=clientAuth');
      return {
        ca: read(`${ca}.crt`),
        serverCert: read(`server${i}.crt`),
        serverKey: read(`server${i}.key`),
        clientCert: read(`client${i}.crt`),
        clientKey: read(`client${i}.key`),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
