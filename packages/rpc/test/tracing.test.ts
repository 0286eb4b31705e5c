import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, type EchoBehaviour } from '@ballast/testing';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { Status } from 'nice-grpc';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ConnectOptions, ServeHandle } from '../src/index.js';

// As OpenTelemetry asks of every instrumentation: the SDK is registered before the instrumented
// modules load (nice-grpc-opentelemetry takes its tracer when it loads).
const exporter = new InMemorySpanExporter();
/** Called back when a span starts or ends: lets a test act on an attempt in flight or wait for one. */
const started = new Set<(span: ReadableSpan) => void>();
const ended = new Set<(span: ReadableSpan) => void>();
const onStart: SpanProcessor = {
  onStart: (span) => started.forEach((listener) => listener(span as unknown as ReadableSpan)),
  onEnd: (span) => ended.forEach((listener) => listener(span)),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter }), onStart] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const { AttemptAttributes, CallEventNames, connect, connection, disconnect, serve, service, tracingActive } =
  await import('../src/index.js');

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const METHOD = 'ballast.testing.v1.EchoService/Echo';

interface Replica {
  handle: ServeHandle;
  behaviour: EchoBehaviour;
  /** Whether each call it served carried a W3C traceparent. */
  traceparents: boolean[];
}

async function startReplica(name: string, tracing = true): Promise<Replica> {
  const behaviour = defaultBehaviour();
  const traceparents: boolean[] = [];
  const echo = createEchoService(name, behaviour, { echo: 0, write: 0, count: 0 });
  const handle = await serve({
    name: 'echo',
    services: [
      service(EchoServiceDefinition, {
        ...echo,
        echo(request, callContext) {
          traceparents.push(callContext.metadata.has('traceparent'));
          return echo.echo(request, callContext);
        },
      }),
    ],
    handleSignals: false,
    metrics: false,
    loadShedding: false,
    tracing,
  });
  cleanup.push(() => handle.close());
  return { handle, behaviour, traceparents };
}

function client(replicas: Replica[], options: Partial<ConnectOptions> = {}) {
  const c = connect(EchoServiceDefinition, {
    endpoints: replicas.map((r) => r.handle.address),
    balancer: 'round-robin',
    metrics: false,
    ...options,
  });
  cleanup.push(() => disconnect(c));
  return c;
}

describe('tracing with an OpenTelemetry SDK registered', () => {
  const tracer = provider.getTracer('test');

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  afterEach(() => exporter.reset());

  const spans = () => exporter.getFinishedSpans();
  const byId = (id: string | undefined) => spans().find((s) => s.spanContext().spanId === id);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const callSpans = () => spans().filter((s) => s.name === METHOD && s.kind === SpanKind.CLIENT);
  const attemptsOf = (call: ReadableSpan) =>
    spans()
      .filter((s) => s.name === `Attempt.${METHOD}` && parentOf(s) === call.spanContext().spanId)
      .sort((a, b) => Number(a.attributes[AttemptAttributes.number]) - Number(b.attributes[AttemptAttributes.number]));
  const serverSpanUnder = (attempt: ReadableSpan) =>
    spans().find((s) => s.kind === SpanKind.SERVER && parentOf(s) === attempt.spanContext().spanId);
  const whenEnded = (predicate: (span: ReadableSpan) => boolean) =>
    new Promise<ReadableSpan>((resolve) => {
      const listener = (span: ReadableSpan) => {
        if (!predicate(span)) return;
        ended.delete(listener);
        resolve(span);
      };
      ended.add(listener);
    });
  const inSpan = <T>(name: string, fn: (span: Span) => Promise<T>) =>
    tracer.startActiveSpan(name, async (span) => {
      try {
        return await fn(span);
      } finally {
        span.end();
      }
    });

  it('traces a call under the caller span, one span per attempt, and each server span under its attempt', async () => {
    expect(tracingActive()).toBe(true);
    const failing = await startReplica('failing');
    const healthy = await startReplica('healthy');
    failing.behaviour.failRate = 1;
    const c = client([failing, healthy], { healthCheck: false, outlierDetection: false });
    // Round robin: within two calls, one goes first to the failing replica and is retried.
    let retried: ReadableSpan | undefined;
    for (let i = 0; i < 4 && retried === undefined; i++) {
      await inSpan('order', () => c.echo({ message: 'x' }));
      await provider.forceFlush();
      retried = callSpans().find((s) => attemptsOf(s).length === 2);
    }
    const call = retried!;
    const order = byId(parentOf(call))!;
    expect(order.name).toBe('order');
    expect(call.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.method': 'Echo', 'rpc.grpc.status_code': 0 });
    const [first, second] = attemptsOf(call);
    expect(first!.kind).toBe(SpanKind.CLIENT);
    expect(first!.attributes).toMatchObject({
      [AttemptAttributes.number]: 1,
      [AttemptAttributes.kind]: 'first',
      [AttemptAttributes.endpointId]: failing.handle.address,
      'server.address': '127.0.0.1',
      'server.port': failing.handle.port,
      [AttemptAttributes.statusCode]: Status.UNAVAILABLE,
      [AttemptAttributes.signal]: 'endpoint-failing',
    });
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(second!.attributes).toMatchObject({
      [AttemptAttributes.number]: 2,
      [AttemptAttributes.kind]: 'retry',
      [AttemptAttributes.endpointId]: healthy.handle.address,
      [AttemptAttributes.statusCode]: Status.OK,
      [AttemptAttributes.signal]: 'ok',
    });
    // W3C trace context: each server span is a child of the attempt that reached it, in one trace.
    for (const attempt of [first!, second!]) {
      const server = serverSpanUnder(attempt)!;
      expect(server.name).toBe(METHOD);
      expect(server.spanContext().traceId).toBe(order.spanContext().traceId);
    }
    expect(serverSpanUnder(first!)!.attributes['rpc.grpc.status_code']).toBe(Status.UNAVAILABLE);
  });

  it('gives a streaming call an attempt span too, under its call span', async () => {
    const replica = await startReplica('streaming');
    const c = client([replica], { healthCheck: false, outlierDetection: false });
    const seen: number[] = [];
    await inSpan('stream', async () => {
      for await (const item of c.count({ count: 3 })) seen.push(item.n);
    });
    await provider.forceFlush();
    expect(seen).toEqual([1, 2, 3]);
    const count = 'ballast.testing.v1.EchoService/Count';
    const call = spans().find((s) => s.name === count && s.kind === SpanKind.CLIENT)!;
    const attempts = spans().filter((s) => s.name === `Attempt.${count}` && parentOf(s) === call.spanContext().spanId);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attributes).toMatchObject({
      [AttemptAttributes.number]: 1,
      [AttemptAttributes.kind]: 'first',
      [AttemptAttributes.endpointId]: replica.handle.address,
      [AttemptAttributes.signal]: 'ok',
    });
  });

  it('names a hedge, and ends the attempt that lost the race as cancelled, not failed', async () => {
    const slow = await startReplica('slow');
    const fast = await startReplica('fast');
    const c = client([slow, fast], { healthCheck: false, outlierDetection: false, hedging: { delayMs: 20 } });
    // Both connections up before one replica turns slow, so only the slow one is ever hedged against.
    for (let i = 0; i < 2; i++) await c.echo({ message: 'warm-up' }, { hedge: false });
    slow.behaviour.delayMs = 2_000;
    const loser = whenEnded(
      (s) => s.name === `Attempt.${METHOD}` && s.attributes[AttemptAttributes.signal] === 'cancelled',
    );
    const slowServerSpan = whenEnded(
      (s) => s.kind === SpanKind.SERVER && s.attributes['rpc.grpc.status_code'] === Status.CANCELLED,
    );
    const { hedging } = connection(c)!;
    for (let i = 0; i < 4 && hedging!.stats().hedges === 0; i++) await c.echo({ message: 'x' });
    const lost = await loser;
    await slowServerSpan;
    await provider.forceFlush();
    const attempts = attemptsOf(byId(parentOf(lost))!);
    expect(attempts.map((a) => a.attributes[AttemptAttributes.kind])).toEqual(['first', 'hedge']);
    expect(lost.attributes[AttemptAttributes.endpointId]).toBe(slow.handle.address);
    expect(lost.status.code).not.toBe(SpanStatusCode.ERROR);
    const won = attempts.find((a) => a !== attempts.find((b) => b.spanContext().spanId === lost.spanContext().spanId))!;
    expect(won.attributes).toMatchObject({
      [AttemptAttributes.endpointId]: fast.handle.address,
      [AttemptAttributes.signal]: 'ok',
    });
  });

  it('records budget and breaker refusals as events on the call span', async () => {
    const failing = await startReplica('failing');
    failing.behaviour.failRate = 1;
    const c = client([failing], {
      healthCheck: false,
      outlierDetection: false,
      retry: { budget: { ratio: 0, minPerSecond: 0 } },
      circuitBreaker: { breaker: { policy: { type: 'consecutive', failures: 1 } } },
    });
    await expect(c.echo({ message: 'x' })).rejects.toThrow(/budget/);
    await expect(c.echo({ message: 'x' })).rejects.toThrow(/breaker/i);
    await provider.forceFlush();
    const [budgetCall, breakerCall] = callSpans().sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    expect(budgetCall!.events.map((e) => [e.name, e.attributes])).toEqual([
      [CallEventNames['budget-refused'], { 'ballast.budget.refused': 'retry' }],
    ]);
    expect(attemptsOf(budgetCall!)).toHaveLength(1);
    expect(breakerCall!.events.map((e) => e.name)).toEqual([CallEventNames['breaker-refused']]);
    expect(breakerCall!.events[0]!.attributes).toMatchObject({ 'ballast.breaker.scope': 'method' });
    expect(attemptsOf(breakerCall!)).toHaveLength(0);
  });

  it('records a move off an endpoint taken out of rotation, and the retry elsewhere', async () => {
    const replicas = [await startReplica('a'), await startReplica('b')];
    const c = client(replicas, { healthCheck: { intervalMs: 50 }, outlierDetection: false });
    const firstAttempt = new Promise<ReadableSpan>((resolve) => {
      const listener = (span: ReadableSpan) => {
        if (!span.name.startsWith('Attempt.')) return;
        started.delete(listener);
        resolve(span);
      };
      started.add(listener);
    });
    const call = c.echo({ message: 'x', delayMs: 300 });
    const endpoint = (await firstAttempt).attributes[AttemptAttributes.endpointId];
    const busy = replicas.find((r) => r.handle.address === endpoint)!;
    const other = replicas.find((r) => r !== busy)!;
    busy.handle.health.setDependency('db', false);
    await call;
    await provider.forceFlush();
    const [callSpan] = callSpans();
    const [moved, retry] = attemptsOf(callSpan!);
    expect(moved!.attributes).toMatchObject({
      [AttemptAttributes.endpointId]: busy.handle.address,
      [AttemptAttributes.signal]: 'cancelled',
      [AttemptAttributes.movedBecause]: 'taken out of rotation',
    });
    expect(retry!.attributes).toMatchObject({
      [AttemptAttributes.kind]: 'retry',
      [AttemptAttributes.endpointId]: other.handle.address,
      [AttemptAttributes.signal]: 'ok',
    });
    expect(callSpan!.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        CallEventNames.moved,
        { [AttemptAttributes.endpointId]: busy.handle.address, 'ballast.move.reason': 'taken out of rotation' },
      ],
    ]);
  });

  it('tracing: false sends no trace context and makes no spans', async () => {
    const replica = await startReplica('a', false);
    await client([replica], { tracing: false }).echo({ message: 'x' });
    await provider.forceFlush();
    expect(replica.traceparents).toEqual([false]);
    expect(spans().map((s) => [s.name, s.kind, s.attributes])).toEqual([]);
  });
});
