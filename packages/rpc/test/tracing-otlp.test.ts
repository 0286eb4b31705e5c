import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import protobuf from 'protobufjs';
import { afterAll, expect, it } from 'vitest';

/** The part of OTLP's ExportTraceServiceRequest (opentelemetry-proto, trace/v1) this test reads. */
const OTLP_TRACE = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { repeated ScopeSpans scope_spans = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  repeated KeyValue attributes = 9;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
`;
const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE).root.lookupType('otlp.ExportTraceServiceRequest');

interface OtlpSpan {
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** A tiny OTLP/HTTP receiver on loopback: keeps every span of every request it is sent. */
const received: OtlpSpan[] = [];
const contentTypes: string[] = [];
const receiver = createServer((request: IncomingMessage, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    contentTypes.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
    const message = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(Buffer.concat(chunks)), {
      longs: Number,
      oneofs: true,
    });
    for (const resource of message.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          received.push({
            scope: scope.scope?.name ?? '',
            traceId: Buffer.from(span.traceId ?? []).toString('hex'),
            spanId: Buffer.from(span.spanId ?? []).toString('hex'),
            parentSpanId: Buffer.from(span.parentSpanId ?? []).toString('hex'),
            name: span.name,
            kind: span.kind,
            attributes: Object.fromEntries(
              (span.attributes ?? []).map((kv: { key: string; value: Record<string, unknown> }) => [
                kv.key,
                kv.value[kv.value.value as string],
              ]),
            ),
          });
        }
      }
    }
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;

// Registered before the instrumented modules load, as OpenTelemetry asks.
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
});
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const { AttemptAttributes, connect, disconnect, serve, service } = await import('../src/index.js');

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  await new Promise((resolve) => receiver.close(resolve));
});

it('exports call, attempt and server spans over OTLP/HTTP protobuf to a collector on loopback', async () => {
  const handle = await serve({
    name: 'echo',
    services: [
      service(EchoServiceDefinition, createEchoService('a', defaultBehaviour(), { echo: 0, write: 0, count: 0 })),
    ],
    handleSignals: false,
    metrics: false,
  });
  const client = connect(EchoServiceDefinition, { endpoints: [handle.address], metrics: false });
  try {
    await client.echo({ message: 'x' });
  } finally {
    await disconnect(client);
    await handle.close();
  }
  await provider.forceFlush();

  expect(new Set(contentTypes)).toEqual(new Set(['POST /v1/traces application/x-protobuf']));
  const method = 'ballast.testing.v1.EchoService/Echo';
  const call = received.find((s) => s.name === method && s.kind === 3 /* CLIENT */)!;
  const attempt = received.find((s) => s.name === `Attempt.${method}`)!;
  const server = received.find((s) => s.name === method && s.kind === 2 /* SERVER */)!;
  expect(call.scope).toBe('nice-grpc-opentelemetry');
  expect(attempt).toMatchObject({ scope: '@ballast/rpc', parentSpanId: call.spanId, traceId: call.traceId });
  expect(attempt.attributes).toMatchObject({
    [AttemptAttributes.number]: 1,
    [AttemptAttributes.kind]: 'first',
    [AttemptAttributes.endpointId]: handle.address,
    [AttemptAttributes.signal]: 'ok',
    'server.port': handle.port,
  });
  expect(server).toMatchObject({ parentSpanId: attempt.spanId, traceId: call.traceId });
});
