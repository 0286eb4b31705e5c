import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, makeTlsFixtures, type TlsFixtures } from '@ballast/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseHealthProbeArgs } from '../src/health-probe-args.js';
import { HealthProbeExit, probeHealth } from '../src/health-probe.js';
import { READINESS_SERVICE, serve, service, type ServeHandle } from '../src/index.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(options: Partial<Parameters<typeof serve>[0]> = {}): Promise<ServeHandle> {
  const entry = service(
    EchoServiceDefinition,
    createEchoService('r1', defaultBehaviour(), { echo: 0, write: 0, count: 0 }),
  );
  const handle = await serve({ name: 'echo', services: [entry], handleSignals: false, metrics: false, ...options });
  cleanup.push(() => handle.close());
  return handle;
}

const probe = (...argv: string[]) => probeHealth(parseHealthProbeArgs(argv));

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const MAIN = fileURLToPath(new URL('../src/health-probe-main.ts', import.meta.url));

/** The CLI as a process: its exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=@ballast/source', '--import', 'tsx', MAIN, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(() => child.exitCode === null && child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

describe('ballast-health (grpc_health_probe-compatible)', () => {
  it('exits 0 on SERVING and 4 once readiness goes NOT_SERVING, through the real CLI', async () => {
    const handle = await start();
    const serving = await cli('-addr', handle.address, '-service', READINESS_SERVICE);
    expect(serving).toMatchObject({ code: 0, stdout: 'status: SERVING\n' });

    handle.health.setDependency('db', false);
    const down = await cli(`-addr=${handle.address}`, `--service=${READINESS_SERVICE}`);
    expect(down.code).toBe(4);
    expect(down.stderr).toContain('service unhealthy (responded with "NOT_SERVING")');
    // Liveness stays SERVING: a down dependency is no reason to restart the process.
    expect((await probe('-addr', handle.address, '-service', 'liveness')).exitCode).toBe(HealthProbeExit.serving);
  });

  it('exits 1 on bad arguments with a message naming the flag', async () => {
    const missing = await cli('-service', 'x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('-addr not specified');
    expect(() => parseHealthProbeArgs(['-addr', 'h:1', '-tls-ca-cert', 'ca.pem'])).toThrow(
      'specified -tls-ca-cert without specifying -tls',
    );
    expect(() => parseHealthProbeArgs(['-addr', 'h:1', '-rpc-timeout', 'soon'])).toThrow('invalid duration "soon"');
    expect(() => parseHealthProbeArgs(['-addr', 'h:1', '-bogus'])).toThrow('unknown flag -bogus');
    expect(parseHealthProbeArgs(['-addr', 'h:1', '-connect-timeout', '1m30s']).connectTimeoutMs).toBe(90_000);
  });

  it('exits 3 when the server does not know the service, and 2 when nothing listens', async () => {
    const handle = await start();
    const unknown = await probe('-addr', handle.address, '-service', 'no.such.Service');
    expect(unknown.exitCode).toBe(HealthProbeExit.rpcFailed);
    expect(unknown.message).toContain('NOT_FOUND');

    const port = await closedPort();
    const refused = await probe('-addr', `127.0.0.1:${port}`, '-connect-timeout', '300ms');
    expect(refused).toEqual({
      exitCode: HealthProbeExit.connectionFailed,
      message: `timeout: failed to connect service "127.0.0.1:${port}" within 300ms`,
    });
  });

  describe('with TLS', () => {
    let tls: TlsFixtures;
    beforeAll(() => {
      tls = makeTlsFixtures();
    });
    afterAll(() => tls?.remove());

    it('checks over mTLS with the CA and client certificate, and fails to connect without them', async () => {
      const handle = await start({ tls: { cert: tls.serverCert, key: tls.serverKey, ca: tls.ca } });
      const dir = tls.dir;
      const ok = await probe(
        '-addr', handle.address, '-tls', '-tls-ca-cert', `${dir}/ca.crt`,
        '-tls-client-cert', `${dir}/client.crt`, '-tls-client-key', `${dir}/client.key`, '-tls-server-name', 'localhost',
      ); // prettier-ignore
      expect(ok).toEqual({ exitCode: HealthProbeExit.serving, message: 'status: SERVING' });
      // Without a client certificate the server refuses the handshake; plaintext gets nowhere either.
      const anonymous = await probe(
        '-addr',
        handle.address,
        '-tls',
        '-tls-ca-cert',
        `${dir}/ca.crt`,
        '-connect-timeout',
        '500ms',
      );
      expect(anonymous.exitCode).toBe(HealthProbeExit.connectionFailed);
      const plain = await probe('-addr', handle.address, '-connect-timeout', '500ms');
      expect(plain.exitCode).toBe(HealthProbeExit.connectionFailed);
      const missingCa = await probe('-addr', handle.address, '-tls', '-tls-ca-cert', `${dir}/nope.crt`);
      expect(missingCa.exitCode).toBe(HealthProbeExit.usage);
      expect(missingCa.message).toContain('failed to read -tls-ca-cert');
    });
  });
});
