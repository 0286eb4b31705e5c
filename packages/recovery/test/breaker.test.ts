import { classify, VirtualScheduler } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { startEchoServer } from '@ballast/testing';
import { createChannel, createClientFactory } from 'nice-grpc';
import { Status } from 'nice-grpc-common';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BreakerOpenError,
  createEndpointBreakers,
  createMethodBreakers,
  type BreakerTransition,
} from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('per-method circuit breaker (real server)', () => {
  it('opens after consecutive failures, fails fast naming the breaker, half-opens and closes', async () => {
    const server = await startEchoServer({ replica: 'a' });
    cleanups.push(() => server.kill());
    const channel = createChannel(server.address);
    cleanups.push(() => channel.close());
    const registry = new Registry();
    const scheduler = new VirtualScheduler();
    const breakers = createMethodBreakers({
      breaker: { policy: { type: 'consecutive', failures: 3 }, openMs: 300, clock: scheduler },
      namePrefix: 'echo-client:',
      registry,
    });
    cleanups.push(() => breakers.close());
    const events: BreakerTransition[] = [];
    const client = createClientFactory().use(breakers.middleware).create(EchoServiceDefinition, channel);

    // INVALID_ARGUMENT is the request's fault: it does not count against the backend.
    for (let i = 0; i < 5; i++) {
      await expect(client.echo({ message: 'x', failCode: Status.INVALID_ARGUMENT })).rejects.toBeDefined();
    }
    const breaker = breakers.breaker('/ballast.testing.v1.EchoService/Echo');
    breaker.onStateChange((e) => events.push(e));
    expect(breaker.state.type).toBe('closed');

    for (let i = 0; i < 3; i++) {
      await expect(client.echo({ message: 'x', failCode: Status.UNAVAILABLE })).rejects.toMatchObject({
        code: Status.UNAVAILABLE,
      });
    }
    expect(breaker.state.type).toBe('open');
    const served = server.counters.echo;
    const error = await client.echo({ message: 'ok' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect(error).toMatchObject({
      code: Status.UNAVAILABLE,
      breaker: 'echo-client:/ballast.testing.v1.EchoService/Echo',
    });
    expect((error as Error).message).toMatch(
      /circuit breaker "echo-client:\/ballast.testing.v1.EchoService\/Echo" is open/,
    );
    expect(server.counters.echo).toBe(served); // failed fast: never reached the server

    scheduler.advance(299);
    expect(breaker.state.type).toBe('open');
    scheduler.advance(1);
    expect(breaker.state.type).toBe('half-open');
    await expect(client.echo({ message: 'probe' })).resolves.toMatchObject({ message: 'probe' });
    expect(breaker.state.type).toBe('closed');
    expect(events.map((e) => e.to)).toEqual(['open', 'half-open', 'closed']);

    const metrics = await registry.getSingleMetricAsString('ballast_breaker_rejected_total');
    expect(metrics).toMatch(/ballast_breaker_rejected_total\{breaker="echo-client:[^"]+"\} 1/);
  });
});

describe('per-endpoint breakers as a HealthView', () => {
  it('an endpoint whose breaker opens is no longer eligible, and comes back half-open', async () => {
    const scheduler = new VirtualScheduler();
    const breakers = createEndpointBreakers({
      breaker: { policy: { type: 'consecutive', failures: 2 }, openMs: 200 },
      registry: false,
      scheduler,
    });
    cleanups.push(() => breakers.close());
    const endpoints = [
      { id: 'a', address: '127.0.0.1:1' },
      { id: 'b', address: '127.0.0.1:2' },
    ];
    let changes = 0;
    breakers.onChange(() => changes++);
    const outcome = (endpointId: string, code: number) =>
      breakers.record({ endpointId, code, signal: classify(code), latencyMs: 1, method: '/s/M' });
    outcome('a', Status.UNAVAILABLE);
    outcome('b', Status.OK);
    expect(breakers.eligible(endpoints).map((e) => e.id)).toEqual(['a', 'b']);
    outcome('a', Status.DEADLINE_EXCEEDED);
    expect(breakers.eligible(endpoints).map((e) => e.id)).toEqual(['b']);
    expect(changes).toBe(1);
    // The balancer is told when the endpoint may take probes again: at openMs, not before.
    scheduler.advance(199);
    expect(changes).toBe(1);
    scheduler.advance(1);
    expect(changes).toBe(2);
    expect(breakers.eligible(endpoints).map((e) => e.id)).toEqual(['a', 'b']);
    // Half-open lets one probe through at a time (halfOpenProbes: 1); the balancer asks at pick time.
    expect(breakers.admit!('a')).toBe(true);
    expect(breakers.admit!('a')).toBe(false);
    expect(breakers.admit!('b')).toBe(true);
    // Cancelled attempts and shedding elsewhere say nothing about "b".
    outcome('b', Status.RESOURCE_EXHAUSTED);
    outcome('a', Status.OK);
    expect(breakers.breaker('a').state.type).toBe('closed');
  });

  it('a listener that throws does not fail the outcome that opened the breaker; the others still hear it', () => {
    const breakers = createEndpointBreakers({
      breaker: { policy: { type: 'consecutive', failures: 1 } },
      registry: false,
      scheduler: new VirtualScheduler(),
    });
    cleanups.push(() => breakers.close());
    const heard: string[] = [];
    breakers.onStateChange(() => {
      throw new Error('a broken subscriber');
    });
    breakers.onStateChange((t) => heard.push(`${t.endpointId}:${t.to}`));
    const record = () =>
      breakers.record({
        endpointId: 'a',
        code: Status.UNAVAILABLE,
        signal: 'endpoint-failing',
        latencyMs: 1,
        method: '/s/M',
      });
    expect(record).not.toThrow();
    expect(heard).toEqual(['a:open']);
  });
});
