import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StaticEndpointSource } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, makeCertificateSets, type CertificateSet } from '@ballast/testing';
import { Status } from 'nice-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from 'nice-grpc-common';
import {
  connect,
  connection,
  disconnect,
  serve,
  service,
  type CertificateFiles,
  type CertificateReload,
} from '../src/index.js';

// Certificates rotate on disk (as cert-manager or a Kubernetes secret mount rotates them) while
// calls run: serve() and connect() pick up the new files without a restart and no call fails.

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

let sets: CertificateSet[];
let dir: string;
beforeAll(() => {
  sets = makeCertificateSets(2);
  dir = mkdtempSync(join(tmpdir(), 'ballast-rotation-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file the way a rotation does: a new file renamed over the old one. */
function put(file: string, contents: Buffer | string): void {
  writeFileSync(`${file}.new`, contents);
  renameSync(`${file}.new`, file);
}

/** The next reload of `kind`, or a rejection after `timeoutMs`. */
function reloaded(certificates: CertificateFiles, kind: CertificateReload['type'], timeoutMs = 5_000) {
  return new Promise<CertificateReload>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no "${kind}" certificate reload within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = certificates.onReload((reload) => {
      if (reload.type !== kind) return;
      clearTimeout(timer);
      stop();
      resolve(reload);
    });
  });
}

async function replica(name: string, files: { cert: string; key: string; ca: string }) {
  const counters = { echo: 0, write: 0, count: 0 };
  const handle = await serve({
    name: 'echo',
    instanceId: name,
    services: [service(EchoServiceDefinition, createEchoService(name, defaultBehaviour(), counters))],
    handleSignals: false,
    metrics: false,
    drainTimeoutMs: 1_000,
    tls: { ...files, reloadIntervalMs: 50 },
  });
  cleanup.push(() => handle.close());
  return { handle, counters };
}

describe('certificate rotation', () => {
  it('serve() and connect() follow rotated certificate, key and CA files under load with no failed call', async () => {
    const [old, next] = [sets[0]!, sets[1]!];
    const server = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'server-ca.crt') };
    const client = { cert: join(dir, 'client.crt'), key: join(dir, 'client.key'), ca: join(dir, 'client-ca.crt') };
    put(server.cert, old.serverCert);
    put(server.key, old.serverKey);
    put(server.ca, old.ca);
    put(client.cert, old.clientCert);
    put(client.key, old.clientKey);
    put(client.ca, old.ca);

    const first = await replica('first', server);
    const serverFiles = first.handle.certificates!;
    const endpoints = new StaticEndpointSource([{ id: 'first', address: first.handle.address }]);
    const echo = connect(EchoServiceDefinition, {
      endpoints,
      tls: { ...client, reloadIntervalMs: 50 },
      retry: false,
    });
    cleanup.push(() => disconnect(echo));
    const clientFiles = connection(echo)!.certificates!;

    let stopped = false;
    let calls = 0;
    const failures: unknown[] = [];
    let waiter: { target: number; resolve: () => void } | undefined;
    /** Resolves once `n` more calls have completed: each phase runs under load. */
    const moreCalls = (n: number) => new Promise<void>((resolve) => (waiter = { target: calls + n, resolve }));
    const workers = Array.from({ length: 8 }, async () => {
      while (!stopped) {
        await echo.echo({ message: 'x' }).then(
          () => calls++,
          (error: unknown) => failures.push(error),
        );
        if (waiter && calls >= waiter.target) waiter.resolve();
      }
    });
    await moreCalls(50);

    // 1. Both sides trust the old and the new CA.
    const trustBoth = [reloaded(serverFiles, 'changed'), reloaded(clientFiles, 'changed')];
    put(server.ca, Buffer.concat([old.ca, next.ca]));
    put(client.ca, Buffer.concat([old.ca, next.ca]));
    await Promise.all(trustBoth);
    await moreCalls(50);

    // 2. New identities. A rotation that writes the certificate before its key is seen half
    //    done: that set is refused and the old one stays until the key arrives.
    const halfDone = reloaded(serverFiles, 'rejected');
    writeFileSync(server.cert, next.serverCert);
    await halfDone;
    await moreCalls(50);
    const identities = [reloaded(serverFiles, 'changed'), reloaded(clientFiles, 'changed')];
    put(server.key, next.serverKey);
    put(client.key, next.clientKey);
    put(client.cert, next.clientCert);
    await Promise.all(identities);
    await moreCalls(50);

    // 3. The old CA is dropped.
    const dropOld = [reloaded(serverFiles, 'changed'), reloaded(clientFiles, 'changed')];
    put(server.ca, next.ca);
    put(client.ca, next.ca);
    await Promise.all(dropOld);
    await moreCalls(50);

    // A new replica with only the new files joins: the running client's new handshake with it
    // presents the new client certificate and trusts the new CA only.
    const dirNew = mkdtempSync(join(tmpdir(), 'ballast-rotation-new-'));
    cleanup.push(() => rmSync(dirNew, { recursive: true, force: true }));
    const newFiles = { cert: join(dirNew, 's.crt'), key: join(dirNew, 's.key'), ca: join(dirNew, 'ca.crt') };
    put(newFiles.cert, next.serverCert);
    put(newFiles.key, next.serverKey);
    put(newFiles.ca, next.ca);
    const second = await replica('second', newFiles);
    endpoints.set([
      { id: 'first', address: first.handle.address },
      { id: 'second', address: second.handle.address },
    ]);
    const before = calls;
    while (second.counters.echo < 20 && calls - before < 5_000) {
      await echo.echo({ message: 'y' }).then(
        () => calls++,
        (error: unknown) => failures.push(error),
      );
    }
    stopped = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(second.counters.echo).toBeGreaterThanOrEqual(20);
    expect(first.counters.echo).toBeGreaterThan(250);

    // A fresh client with the new CA reaches the first replica; one holding only the old CA is
    // refused by it (the replica now presents the certificate of the new CA).
    const fresh = connect(EchoServiceDefinition, {
      endpoints: [first.handle.address],
      tls: { ca: next.ca, cert: next.clientCert, key: next.clientKey },
    });
    cleanup.push(() => disconnect(fresh));
    expect((await fresh.echo({ message: 'z' })).replica).toBe('first');
    const stale = connect(EchoServiceDefinition, {
      endpoints: [first.handle.address],
      tls: { ca: old.ca, cert: next.clientCert, key: next.clientKey },
      retry: false,
      healthCheck: false,
    });
    cleanup.push(() => disconnect(stale));
    const refused = await stale.echo({ message: 'z' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).code).toBe(Status.UNAVAILABLE);
  });
});
