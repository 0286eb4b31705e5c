import { createBalancedChannel } from '@ballast/balancer';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import { createClientFactory } from 'nice-grpc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createDeadlineMiddleware,
  createEndpointBreakers,
  createHedging,
  createMethodBreakers,
  createRetry,
} from '../src/index.js';
import { runConcurrently } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the whole stack: deadline → retry (budgeted) → hedging → breaker → balanced channel', () => {
  it('keeps every call succeeding while a replica is SIGKILLed, and its endpoint breaker opens', async () => {
    const replicas: EchoReplica[] = [];
    for (const name of ['a', 'b', 'c']) {
      const replica = await spawnEchoReplica(name);
      cleanups.push(() => replica.stop());
      replicas.push(replica);
    }
    const endpointBreakers = createEndpointBreakers({
      breaker: { policy: { type: 'consecutive', failures: 2 }, openMs: 60_000 },
      registry: false,
    });
    cleanups.push(() => endpointBreakers.close());
    const channel = createBalancedChannel({
      service: 'echo',
      source: replicas.map((r) => ({ id: r.replica, address: r.address })),
      policy: 'round-robin',
      health: endpointBreakers,
      onOutcome: endpointBreakers.record,
    });
    cleanups.push(() => channel.close());
    const retry = createRetry({ maxRetries: 2, backoff: { baseMs: 1, maxMs: 10 } });
    const hedging = createHedging({ delayMs: 200, budget: retry.budget });
    const methodBreakers = createMethodBreakers({ registry: false });
    cleanups.push(() => methodBreakers.close());
    const client = createClientFactory()
      .use(methodBreakers.middleware)
      .use(hedging.middleware)
      .use(retry.middleware)
      .use(createDeadlineMiddleware())
      .create(EchoServiceDefinition, channel);

    await runConcurrently(30, 4, async () => {
      await client.echo({ message: 'warm' }, { deadline: 10_000 });
    });
    await replicas[0]!.crash();
    const served: string[] = [];
    await runConcurrently(200, 4, async () => {
      served.push((await client.echo({ message: 'x' }, { deadline: 10_000 })).replica);
    });
    expect(served).toHaveLength(200);
    expect(served).not.toContain('a');
    await vi.waitFor(() => expect(endpointBreakers.breaker('a').state.type).toBe('open'), { timeout: 5_000 });
    expect(endpointBreakers.eligible(channel.endpoints()).map((e) => e.id)).toEqual(['b', 'c']);
    expect(retry.budget!.stats().retries).toBeGreaterThan(0);
    expect(methodBreakers.breakers().every((b) => b.state.type === 'closed')).toBe(true);
  });
});
