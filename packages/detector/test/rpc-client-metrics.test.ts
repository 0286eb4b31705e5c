import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { startEchoServer } from '@ballast/testing';
import { createChannel, createClientFactory, Status, type ClientMiddleware } from 'nice-grpc';
import { labelNames, labelNamesWithCode, prometheusClientMiddleware } from 'nice-grpc-prometheus';
import { Counter, exponentialBuckets, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClientMetrics, serveMetrics } from '../src/index.js';

/** nice-grpc-prometheus's client middleware with its default metric shapes, on `registry`. */
function libraryMiddleware(registry: Registry): ClientMiddleware {
  const registers = [registry];
  const counter = (name: string, names: string[]) => new Counter({ name, help: name, labelNames: names, registers });
  return prometheusClientMiddleware({
    clientStartedMetric: counter('grpc_client_started_total', labelNames),
    clientHandledMetric: counter('grpc_client_handled_total', labelNamesWithCode),
    clientStreamMsgReceivedMetric: counter('grpc_client_msg_received_total', labelNames),
    clientStreamMsgSentMetric: counter('grpc_client_msg_sent_total', labelNames),
    clientHandlingSecondsMetric: new Histogram({
      name: 'grpc_client_handling_seconds',
      help: 'h',
      labelNames: labelNamesWithCode,
      buckets: exponentialBuckets(0.001, 4, 12),
      registers,
    }),
  });
}

/** Sample lines without HELP/TYPE, sums (timing differs) or the sub-second buckets (ditto). */
function comparable(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#') && !line.includes('_sum{'))
    .filter((line) => !/le="0\.\d+"/.test(line))
    .sort();
}

describe('RpcClientMetrics', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('records the same series and counts as nice-grpc-prometheus for unary, failing and streaming calls', async () => {
    const echo = await startEchoServer({ replica: 'r' });
    cleanups.push(() => echo.kill());
    const channel = createChannel(echo.address);
    cleanups.push(() => channel.close());
    const ours = new Registry();
    const theirs = new Registry();
    const recorder = new RpcClientMetrics(ours);
    const a = createClientFactory().use(recorder.middleware).create(EchoServiceDefinition, channel);
    const b = createClientFactory().use(libraryMiddleware(theirs)).create(EchoServiceDefinition, channel);

    for (const client of [a, b]) {
      await client.echo({ message: 'one' });
      await client.echo({ message: 'two' });
      await expect(client.echo({ message: 'no', failCode: Status.UNAVAILABLE })).rejects.toThrow(/UNAVAILABLE/);
      let received = 0;
      for await (const _ of client.count({ count: 3 })) received++;
      expect(received).toBe(3);
    }

    const ourText = await ours.metrics();
    expect(comparable(ourText)).toEqual(comparable(await theirs.metrics()));
    const path = 'grpc_path="/ballast.testing.v1.EchoService/Echo"';
    expect(ourText).toContain(
      `grpc_client_started_total{grpc_type="unary",grpc_service="ballast.testing.v1.EchoService",grpc_method="Echo",${path}} 3`,
    );
    expect(ourText).toMatch(/grpc_client_handled_total\{[^}]*grpc_method="Echo"[^}]*grpc_code="OK"\} 2/);
    expect(ourText).toMatch(/grpc_client_handled_total\{[^}]*grpc_method="Echo"[^}]*grpc_code="UNAVAILABLE"\} 1/);
    expect(ourText).toMatch(/grpc_client_msg_received_total\{[^}]*grpc_method="Count"[^}]*\} 3/);
    // Buckets are cumulative: never decreasing, ending at the count.
    const okBuckets = ourText
      .split('\n')
      .filter((l) => l.startsWith('grpc_client_handling_seconds_bucket') && l.includes('grpc_method="Echo"'))
      .filter((l) => l.includes('grpc_code="OK"'))
      .map((l) => Number(l.split(' ').at(-1)));
    expect(okBuckets).toHaveLength(13);
    expect(okBuckets).toEqual([...okBuckets].sort((x, y) => x - y));
    expect(okBuckets.at(-1)).toBe(2);
  });

  it('serveMetrics declares each family once when two registries both hold grpc_client_*', async () => {
    const ours = new Registry();
    new RpcClientMetrics(ours);
    const other = new Registry();
    new Counter({ name: 'grpc_client_started_total', help: 'duplicate', labelNames: ['x'], registers: [other] });
    new Counter({ name: 'only_in_other_total', help: 'kept', registers: [other] }).inc();
    const server = await serveMetrics({ registries: [ours, other] });
    cleanups.push(() => server.close());
    const text = await (await fetch(`http://${server.address}/metrics`)).text();
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(types.filter((l) => l.startsWith('# TYPE grpc_client_started_total '))).toHaveLength(1);
    expect(new Set(types).size).toBe(types.length);
    expect(text).toContain('only_in_other_total 1');
    expect(text).not.toContain('duplicate');
  });
});
