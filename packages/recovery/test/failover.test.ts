import { balancedUnary, createBalancedChannel, type BalancedChannel } from '@ballast/balancer';
import { seededRandom, type CallOutcome } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica, startEchoServer, type EchoReplica, type EchoServer } from '@ballast/testing';
import { createClientFactory } from 'nice-grpc';
import { Status } from 'nice-grpc-common';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetry, RetryBudget } from '../src/index.js';
import { runConcurrently } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(replica: string, failRate = 0): Promise<EchoServer> {
  const s = await startEchoServer({ replica, behaviour: { failRate } });
  cleanups.push(() => s.kill());
  return s;
}

function balanced(addresses: string[], onOutcome?: (o: CallOutcome) => void): BalancedChannel {
  const channel = createBalancedChannel({
    service: 'echo',
    source: addresses,
    policy: 'random',
    random: seededRandom(42),
    onOutcome,
  });
  cleanups.push(() => channel.close());
  return channel;
}

describe('failover through the balanced channel', () => {
  it('a retry avoids the endpoint that already failed this call', async () => {
    const bad = await server('bad', 1);
    const good = await server('good');
    const retry = createRetry({ backoff: { baseMs: 0 }, maxRetries: 1, budget: false });
    const channel = balanced([bad.address, good.address]);
    // balancedUnary innermost (nice-grpc's first `use`): the call's context reaches the channel.
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .use(retry.middleware)
      .create(EchoServiceDefinition, channel);
    const replicas: string[] = [];
    await runConcurrently(200, 8, async () => {
      replicas.push((await client.echo({ message: 'x' })).replica);
    });
    // Every call succeeded on "good": with one retry and a random pick, a retry that could land on
    // "bad" again would fail about a quarter of the calls.
    expect(replicas).toHaveLength(200);
    expect(new Set(replicas)).toEqual(new Set(['good']));
    expect(bad.counters.echo).toBeGreaterThan(50); // the random policy really sent first attempts there
    expect(bad.counters.echo + good.counters.echo).toBe(200 + bad.counters.echo);
  });

  it('without failover the same retries do land on the failed endpoint again', async () => {
    const bad = await server('bad', 1);
    const good = await server('good');
    const retry = createRetry({ backoff: { baseMs: 0 }, maxRetries: 1, budget: false, failover: false });
    const channel = balanced([bad.address, good.address]);
    // balancedUnary innermost (nice-grpc's first `use`): the call's context reaches the channel.
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .use(retry.middleware)
      .create(EchoServiceDefinition, channel);
    let failed = 0;
    await runConcurrently(200, 8, async () => {
      await client.echo({ message: 'x' }).catch(() => failed++);
    });
    expect(failed).toBeGreaterThan(10);
  });

  it('total outage of SIGKILLed replicas: attempts ≤ 1.1 × first attempts over 1 000 calls', async () => {
    const replicas: EchoReplica[] = [];
    for (const name of ['r1', 'r2', 'r3']) {
      const replica = await spawnEchoReplica(name);
      cleanups.push(() => replica.stop());
      replicas.push(replica);
    }
    let attempts = 0;
    const channel = balanced(
      replicas.map((r) => r.address),
      () => attempts++,
    );
    const retry = createRetry({ backoff: { baseMs: 0 }, maxRetries: 3, budget: new RetryBudget() });
    const client = createClientFactory().use(retry.middleware).create(EchoServiceDefinition, channel);
    await client.echo({ message: 'warm' });
    await Promise.all(replicas.map((r) => r.crash()));
    attempts = 0;
    const codes = new Map<number, number>();
    await runConcurrently(1_000, 32, async () => {
      await client.echo({ message: 'x' }).catch((e: { code?: number }) => {
        codes.set(e.code ?? -1, (codes.get(e.code ?? -1) ?? 0) + 1);
      });
    });
    expect(codes.get(Status.UNAVAILABLE)).toBe(1_000);
    expect(attempts).toBeGreaterThan(1_000); // some retries were allowed…
    expect(attempts / 1_000).toBeLessThanOrEqual(1.1); // …but the budget held the load
  });
});
