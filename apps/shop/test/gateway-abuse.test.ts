import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { MemoryStore, register, type Registration } from '@ballast/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { seedStock } from '../src/inventory-service.js';
import { uniformStock } from '../src/order-workload.js';
import type { ShopCluster } from '../src/shop-cluster.js';
import { shopKeys } from '../src/shop-keys.js';
import { send } from './support/raw-http.js';

const JSON_TYPE = { 'content-type': 'application/json' };

/** A raw TCP client: what it wrote, everything it read, and whether the gateway closed it. */
function rawClient(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => text, closed }));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.once('error', reject);
  });
}

const statusLines = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

describe('gateway under abuse (raw clients, embedded shop)', () => {
  const store = new MemoryStore();
  let cluster: ShopCluster;
  let gateway: Gateway;
  let events: Gateway;

  beforeAll(async () => {
    await seedStock(store, uniformStock(10));
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 600_000 });
    gateway = await startGateway({ cluster });
    // A snapshot every 1 ms and a 1 KiB allowance: a client that stops reading is over it once the
    // kernel buffers on both sides (about 4 MB on loopback) are full, a few seconds.
    events = await startGateway({ cluster, snapshotIntervalMs: 1, maxEventBufferBytes: 1024 });
  });
  afterAll(async () => {
    await events?.close();
    await gateway?.close();
    await cluster?.close();
  });

  it('answers a malformed percent-escape in a path with 400 naming it, not 500', async () => {
    const order = await send(gateway.url, 'GET', '/api/orders/%ZZ');
    expect(order).toMatchObject({ status: 400, body: { code: 'BAD_PATH', error: expect.stringMatching(/%ZZ/) } });
    expect((await send(gateway.url, 'GET', '/api/stock/%E0%A4%A')).status).toBe(400);
    expect((await send(gateway.url, 'POST', '/api/replicas/%ZZ/kill')).status).toBe(400);
    expect((await send(gateway.url, 'GET', '/api/products')).status).toBe(200);
  });

  it('answers the next request on a keep-alive connection after a 413 (289 KB body)', async () => {
    const client = await rawClient(gateway.url);
    const host = new URL(gateway.url).host;
    const body = JSON.stringify({ pad: 'x'.repeat(289 * 1024) });
    client.socket.write(
      `PUT /api/config/payments HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
        `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    );
    await expect.poll(() => statusLines(client.received()), { timeout: 10_000 }).toEqual([413, 200]);
    expect(client.received()).toMatch(/"code":"BODY_TOO_LARGE"/);
    expect(client.received()).toMatch(/\{"ok":true\}/);
    client.socket.destroy();
  });

  it('answers a body too large to read with 413 and Connection: close, then closes', async () => {
    const client = await rawClient(gateway.url);
    const host = new URL(gateway.url).host;
    client.socket.write(
      `PUT /api/config/payments HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${8 * 1024 * 1024}\r\n\r\n{"pad":"`,
    );
    await client.closed;
    expect(statusLines(client.received())).toEqual([413]);
    expect(client.received()).toMatch(/^connection: close\r$/im);
  });

  it('drops an event-stream client that stops reading, and keeps serving the others', async () => {
    const host = new URL(events.url).host;
    let readerText = '';
    const reader = request(new URL('/api/events', events.url), { agent: false }, (res) =>
      res.on('data', (chunk: Buffer) => (readerText += chunk.toString())),
    );
    reader.end();
    const stalled = await rawClient(events.url);
    stalled.socket.write(`GET /api/events HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    // From here on the client takes nothing: the kernel buffers fill, then the gateway's.
    stalled.socket.pause();
    try {
      const dropped = async () =>
        Number(
          /^shop_gateway_event_clients_dropped_total (\d+)/m.exec(
            (await send(events.url, 'GET', '/metrics')).body,
          )?.[1],
        );
      await expect.poll(dropped, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(1);
      // The gateway closed it: once the client reads what was already on the wire, the stream ends.
      stalled.socket.resume();
      await stalled.closed;

      const seen = readerText.split('\n\ndata: ').length;
      await expect.poll(() => readerText.split('\n\ndata: ').length, { timeout: 5_000 }).toBeGreaterThan(seen + 3);
      expect((await send(events.url, 'GET', '/api/state')).status).toBe(200);
    } finally {
      reader.destroy();
      stalled.socket.destroy();
    }
  }, 40_000);

  it('shows the payments config in force after a bad value was stored, and PUT replaces it (no 500)', async () => {
    const state = async () => (await send(gateway.url, 'GET', '/api/state')).body;
    const put = (body: string) => send(gateway.url, 'PUT', '/api/config/payments', JSON_TYPE, body);
    expect((await put('{"declineRate":0.5}')).status).toBe(200);
    await expect.poll(async () => (await state()).payments.declineRate).toBe(0.5);

    // As `etcdctl put` would: misspelt keys, which the replicas reject, keeping 0.5 in force.
    await store.put(shopKeys.paymentsConfig, '{"latencyMS":400,"failurerate":0.5}');
    await expect.poll(async () => (await state()).paymentsRejected?.field).toMatch(/latencyMS|failurerate/);
    expect((await state()).payments).toEqual({ latencyMs: 0, failureRate: 0, declineRate: 0.5 });

    const misspelt = await put('{"latencyMS":400}');
    expect(misspelt).toMatchObject({ status: 400, body: { field: 'latencyMS' } });
    const fixed = await put('{"declineRate":0.25}');
    expect(fixed).toMatchObject({ status: 200, body: { declineRate: 0.25 } });
    await expect.poll(async () => (await state()).payments.declineRate).toBe(0.25);
    expect((await state()).paymentsRejected).toBeNull();
    await put('{}');
  });

  it('exports /metrics: the shop clients, the gateway and rejected live config', async () => {
    const metrics = await send(gateway.url, 'GET', '/metrics', { host: '10.1.2.3:8080' });
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^ballast_config_rejected_total\{key="shop\/config\/payments"\} [1-9]/m);
    expect(metrics.body).toMatch(/^ballast_endpoint_picks_total\{/m);
    expect(metrics.body).toMatch(/^# TYPE shop_gateway_event_clients_dropped_total counter/m);
    const families = [...metrics.body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    expect(new Set(families).size).toBe(families.length);
  });

  it('names an upstream failure in a 503 without internal addresses or stack', async () => {
    // A closed port: connecting there is refused, and the refusal names the address.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await cluster.kill('inventory-1');
    await cluster.kill('inventory-2');
    let ghost: Registration | undefined;
    try {
      ghost = await register(store, { service: 'inventory', id: 'ghost', address: `127.0.0.1:${port}` });
      const answer = await send(gateway.url, 'GET', '/api/stock/BUOY-02');
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ grpcStatus: 'UNAVAILABLE', method: expect.stringMatching(/GetStock/) });
      expect(answer.body.error).toMatch(/GetStock failed with UNAVAILABLE/);
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain(String(port));
      expect(text).not.toMatch(/\n\s+at /);
    } finally {
      await ghost?.deregister();
    }
  });
});
