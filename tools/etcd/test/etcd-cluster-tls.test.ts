import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberStatus, startEtcdCluster, type EtcdCluster } from '../src/index.js';
import { makeTlsFixtures, type TlsFixtures } from '@ballast/testing';

describe('a 1-member cluster serving clients over TLS', () => {
  let tls: TlsFixtures;
  let cluster: EtcdCluster;
  let client: Etcd3 | undefined;

  beforeAll(async () => {
    tls = makeTlsFixtures();
    cluster = await startEtcdCluster({
      members: 1,
      tls: { cert: tls.serverCertFile, key: tls.serverKeyFile, ca: tls.caFile },
    });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
    tls?.remove();
  });

  it('has https:// client URLs and a leader found by the https probe', async () => {
    expect(cluster.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const leader = await cluster.leader();
    expect(leader).toBe(cluster.members[0]);
    const status = await memberStatus(leader.clientUrl, 2000, { ca: tls.ca });
    expect(status.memberId).not.toBe('');
    expect(status.leaderId).toBe(status.memberId);
  });

  it('serves put/get to an etcd3 client that trusts the CA', async () => {
    client = new Etcd3({ hosts: cluster.endpoints, credentials: { rootCertificate: tls.ca } });
    await client.put('greeting').value('over tls');
    expect(await client.get('greeting').string()).toBe('over tls');
  });

  it('a probe of an https:// member without tls says what is missing', async () => {
    await expect(memberStatus(cluster.endpoints[0]!)).rejects.toThrow(/needs the tls option/);
  });

  it('a probe that does not trust the CA is refused', async () => {
    // Any CA but the one that signed the server: here the client certificate stands in for one.
    await expect(memberStatus(cluster.endpoints[0]!, 2000, { ca: tls.clientCert })).rejects.toThrow(/certificate/i);
  });
});

describe('startEtcdCluster with a tls file that does not exist', () => {
  it('rejects before starting anything', async () => {
    const missing = join('/nonexistent', 'ca.crt');
    await expect(startEtcdCluster({ members: 1, tls: { cert: missing, key: missing, ca: missing } })).rejects.toThrow(
      /ENOENT/,
    );
    expect(existsSync(missing)).toBe(false);
  });
});
