import { balancedUnary, createBalancedChannel } from '@ballast/balancer';
import { classify, RETRYABLE_CODES, type CallOutcome } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { startEchoServer } from '@ballast/testing';
import { createClientFactory } from 'nice-grpc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRetry } from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a server's rapid-reset GOAWAY", () => {
  it('fails the calls on that connection as a reset endpoint (retryable), and a retry saves them', async () => {
    const servers = await Promise.all(
      ['a', 'b'].map((replica) => startEchoServer({ replica, behaviour: { delayMs: 30 } })),
    );
    for (const s of servers) cleanups.push(() => s.kill());
    const received = () => servers.reduce((sum, s) => sum + s.counters.echo, 0);
    const outcomes: CallOutcome[] = [];
    const channel = createBalancedChannel({
      service: 'echo',
      source: servers.map((s) => s.address),
      policy: 'round-robin',
      onOutcome: (o) => outcomes.push(o),
    });
    cleanups.push(() => channel.close());
    const retry = createRetry({ backoff: { baseMs: 0, maxMs: 0 }, maxRetries: 3, budget: false });
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .use(retry.middleware)
      .create(EchoServiceDefinition, channel);

    // Both connections open first, so every abandoned call below has a stream to reset.
    await Promise.all([client.echo({ message: 'warm' }), client.echo({ message: 'warm' })]);
    // Calls that must survive, in flight on both connections…
    const wanted = Array.from({ length: 64 }, () => client.echo({ message: 'keep' }));
    // …while the same client abandons 3 000 others, in waves, once their streams are open: each
    // abandon is an RST_STREAM on the connection, past nghttp2's burst of 1 000 the server sends GOAWAY.
    const abandoned: Promise<unknown>[] = [];
    for (let wave = 0; wave < 60; wave++) {
      const controllers = Array.from({ length: 50 }, () => new AbortController());
      const before = received();
      let ended = 0;
      for (const controller of controllers) {
        const call = client.echo({ message: 'drop' }, { signal: controller.signal, retry: false });
        abandoned.push(call.catch(() => {}).finally(() => ended++));
      }
      // Reset only once the servers have the wave's streams (a call still queued in the client is
      // dropped there, with no RST_STREAM on the wire) or refused them.
      await vi.waitFor(() => expect(received() - before + ended).toBeGreaterThanOrEqual(50), {
        interval: 1,
        timeout: 10_000,
      });
      for (const controller of controllers) controller.abort();
    }
    const results = await Promise.allSettled(wanted);
    await Promise.all(abandoned);

    // The cause is reproduced: attempts failed with the server's reset of the connection…
    const resets = outcomes.filter((o) => o.code === 13 || o.code === 14);
    expect(resets.length).toBeGreaterThan(0);
    // …each one read as the endpoint failing, never as the request's fault, and retryable…
    for (const o of resets) {
      expect(o.signal).toBe('endpoint-failing');
      expect(classify(o.code)).toBe('endpoint-failing');
      expect(RETRYABLE_CODES).toContain(o.code);
    }
    // …so the calls that wanted an answer got one.
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  }, 30_000);
});
