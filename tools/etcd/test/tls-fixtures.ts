import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files on disk (etcd reads paths) and their contents (EtcdStore takes PEM). */
export interface TlsFixtures {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** Removes the temp dir; safe to call twice. */
  remove(): void;
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate, made by
 * openssl in a temp dir. The server certificate also allows clientAuth: with --client-cert-auth,
 * etcd's own JSON gateway dials the gRPC port with it.
 */
export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-etcd-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (cn: string, file: string) => ['-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', file];
  const leaf = (name: string, ext: string) => {
    ssl('req', ...key(name, `${name}.key`), '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    const sign = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2'];
    ssl('x509', '-req', '-in', `${name}.csr`, ...sign, '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  try {
    ssl('req', '-x509', ...key('ballast-test-ca', 'ca.key'), '-days', '2', '-out', 'ca.crt');
    leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth');
    leaf('client', 'extendedKeyUsage=clientAuth');
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
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
