import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '@ballast/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { ShopOptionsError } from '../src/errors.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { seedStock } from '../src/inventory-service.js';
import { uniformStock } from '../src/order-workload.js';
import type { ShopCluster } from '../src/shop-cluster.js';
import { send } from './support/raw-http.js';

const TOKEN = 'test-token-0123456789abcdef';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('gateway: cross-origin, Host and token checks on the controls', () => {
  let cluster: ShopCluster;
  let open: Gateway;
  let guarded: Gateway;
  let named: Gateway;
  const stateOf = (name: string) => cluster.replicas().find((r) => r.name === name)!.state.kind;

  beforeAll(async () => {
    const store = new MemoryStore();
    await seedStock(store, uniformStock(10));
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 600_000 });
    open = await startGateway({ cluster });
    guarded = await startGateway({ cluster, token: TOKEN });
    named = await startGateway({ cluster, allowedHosts: ['shop.example'] });
  });
  afterAll(async () => {
    await named?.close();
    await guarded?.close();
    await open?.close();
    await cluster?.close();
  });

  it('refuses a cross-site form POST to freeze (403) and does not freeze the replica', async () => {
    const answer = await send(
      open.url,
      'POST',
      '/api/replicas/catalog-2/freeze',
      { origin: 'http://evil.example', 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      'x',
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'CROSS_ORIGIN', error: expect.stringMatching(/evil\.example/) });
    expect(stateOf('catalog-2')).toBe('running');

    // Only Origin (older browsers send no Sec-Fetch-Site), even with a JSON body: still refused.
    const jsonCrossSite = await send(
      open.url,
      'POST',
      '/api/load/start',
      { origin: 'http://evil.example', ...JSON_TYPE },
      '{"concurrency":1}',
    );
    expect(jsonCrossSite.status).toBe(403);
    expect(open.load.stats().running).toBe(false);
    // Sec-Fetch-Site alone says cross-site: refused.
    const fetchMeta = await send(open.url, 'POST', '/api/replicas/catalog-2/freeze', { 'sec-fetch-site': 'same-site' });
    expect(fetchMeta.status).toBe(403);
    expect(stateOf('catalog-2')).toBe('running');
  });

  it('obeys the same request from the dashboard itself (same origin, JSON)', async () => {
    const origin = new URL(open.url).origin;
    const answer = await send(
      open.url,
      'POST',
      '/api/replicas/catalog-2/freeze',
      { origin, 'sec-fetch-site': 'same-origin', ...JSON_TYPE },
      '{}',
    );
    expect(answer.status).toBe(202);
    expect(stateOf('catalog-2')).toBe('frozen');
    expect((await send(open.url, 'POST', '/api/replicas/catalog-2/heal', { origin, ...JSON_TYPE }, '{}')).status).toBe(
      202,
    );
    expect(stateOf('catalog-2')).toBe('running');
  });

  it('refuses a body that is not JSON (415) even without Origin, as curl would send it', async () => {
    const answer = await send(
      open.url,
      'PUT',
      '/api/config/payments',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'declineRate=1',
    );
    expect(answer).toMatchObject({ status: 415, body: { code: 'JSON_REQUIRED' } });
    const plain = await send(open.url, 'POST', '/api/replicas/catalog-2/kill', { 'content-type': 'text/plain' }, '{}');
    expect(plain.status).toBe(415);
    expect(stateOf('catalog-2')).toBe('running');
    // No body and no type, as `curl -X POST` sends: allowed.
    expect((await send(open.url, 'POST', '/api/load/stop')).status).toBe(202);
  });

  it('answers 421 to a Host it does not serve, controls included (a DNS name rebound to 127.0.0.1)', async () => {
    const port = new URL(open.url).port;
    const state = await send(open.url, 'GET', '/api/state', { host: `evil.example:${port}` });
    expect(state).toMatchObject({ status: 421, body: { code: 'HOST_NOT_ALLOWED' } });
    expect(state.body.error).toMatch(/allowedHosts|SHOP_HTTP_ALLOWED_HOSTS/);
    const rebound = await send(
      open.url,
      'POST',
      '/api/replicas/catalog-2/freeze',
      { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, ...JSON_TYPE },
      '{}',
    );
    expect(rebound.status).toBe(421);
    expect(stateOf('catalog-2')).toBe('running');
    expect((await send(open.url, 'GET', '/api/state', { host: `localhost:${port}` })).status).toBe(200);
    // Probes address a pod by IP: /healthz answers whatever the Host.
    expect((await send(open.url, 'GET', '/healthz', { host: '10.1.2.3:8080' })).status).toBe(200);
  });

  it('answers to the configured host names only, when given', async () => {
    const port = new URL(named.url).port;
    expect((await send(named.url, 'GET', '/api/products', { host: `shop.example:${port}` })).status).toBe(200);
    expect((await send(named.url, 'GET', '/api/products', { host: `localhost:${port}` })).status).toBe(421);
  });

  it('with a token, a control needs Authorization: Bearer <token>; reading does not', async () => {
    const freeze = (headers: Record<string, string>) =>
      send(guarded.url, 'POST', '/api/replicas/catalog-1/freeze', { ...JSON_TYPE, ...headers }, '{}');
    const missing = await freeze({});
    expect(missing).toMatchObject({ status: 401, body: { code: 'TOKEN_REQUIRED' } });
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(missing.body.error).toMatch(/BALLAST_GATEWAY_TOKEN/);
    expect((await freeze({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect(stateOf('catalog-1')).toBe('running');
    expect((await send(guarded.url, 'GET', '/api/state')).status).toBe(200);

    expect((await freeze({ authorization: `Bearer ${TOKEN}` })).status).toBe(202);
    expect(stateOf('catalog-1')).toBe('frozen');
    const heal = await send(
      guarded.url,
      'POST',
      '/api/replicas/catalog-1/heal',
      { authorization: `Bearer ${TOKEN}` },
      undefined,
    );
    expect(heal.status).toBe(202);
  });

  it('refuses to start beyond loopback without a token, saying what to set', async () => {
    const attempt = startGateway({ cluster, host: '0.0.0.0' });
    await expect(attempt).rejects.toBeInstanceOf(ShopOptionsError);
    await expect(attempt).rejects.toThrow(/token.*BALLAST_GATEWAY_TOKEN/s);
    await expect(startGateway({ cluster, token: 'short' })).rejects.toThrow(/option "token".*16 characters/);
  });
});

describe('gateway-main (the Kubernetes entry point)', () => {
  it('exits 2 before connecting anywhere when it would listen on 0.0.0.0 without BALLAST_GATEWAY_TOKEN', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const main = fileURLToPath(new URL('../src/gateway-main.ts', import.meta.url));
    const env: NodeJS.ProcessEnv = { ...process.env, ETCD_ENDPOINTS: 'http://127.0.0.1:1', SHOP_HTTP_HOST: '0.0.0.0' };
    delete env.BALLAST_GATEWAY_TOKEN;
    const child = spawn(process.execPath, ['--conditions=@ballast/source', '--import', tsx, main], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = await once(child, 'exit');
      expect(code).toBe(2);
      expect(stderr).toMatch(/BALLAST_GATEWAY_TOKEN/);
      expect(stderr).toMatch(/0\.0\.0\.0/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
