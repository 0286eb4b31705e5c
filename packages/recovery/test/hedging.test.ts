import { balancedUnary, createBalancedChannel, type BalancedChannel } from '@ballast/balancer';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica, startEchoServer, type EchoReplica, type EchoServer } from '@ballast/testing';
import { createClientFactory } from 'nice-grpc';
import { isAbortError } from 'abort-controller-x';
import type { ClientMiddleware } from 'nice-grpc-common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHedging, InvalidRecoveryOptionError, RetryBudget, type Hedging } from '../src/index.js';
import { percentile } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function replicas(slowMs: number): Promise<EchoServer[]> {
  const servers: EchoServer[] = [];
  for (const name of ['a', 'b', 'c']) {
    const s = await startEchoServer({ replica: name, behaviour: { delayMs: name === 'c' ? slowMs : 0 } });
    cleanups.push(() => s.kill());
    servers.push(s);
  }
  return servers;
}

function channelOver(servers: EchoServer[]) {
  const channel = createBalancedChannel({
    service: 'echo',
    source: servers.map((s) => s.address),
    policy: 'round-robin',
  });
  cleanups.push(() => channel.close());
  return channel;
}

/** Hedging, then balancedUnary: every attempt of a call shares its context with the channel. */
function hedgedClient(hedging: Hedging, channel: BalancedChannel) {
  return createClientFactory()
    .use(balancedUnary(channel, EchoServiceDefinition))
    .use(hedging.middleware)
    .create(EchoServiceDefinition, channel);
}

async function latencies(call: () => Promise<unknown>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    out.push(performance.now() - started);
  }
  return out;
}

describe('hedging (real servers, one slow replica of 3)', () => {
  it('cuts p99: the backup attempt on a fast replica wins and the slow one is cancelled', async () => {
    const servers = await replicas(200);
    const channel = channelOver(servers);
    const plain = createClientFactory().create(EchoServiceDefinition, channel);
    // A third of the calls are slow here: the share budget must allow hedging that many.
    const hedging = createHedging({ delayMs: 30, maxShare: 0.5 });
    // Sits below hedging and watches every attempt: by the time the hedged call returns, the losers
    // must have ended as cancelled, none still running on the slow replica.
    const attempts: { settled: boolean; cancelled: boolean }[] = [];
    const watch: ClientMiddleware = async function* (call, options) {
      const attempt = { settled: false, cancelled: false };
      attempts.push(attempt);
      try {
        return yield* call.next(call.request, options);
      } catch (error) {
        attempt.cancelled = isAbortError(error);
        throw error;
      } finally {
        attempt.settled = true;
      }
    };
    const hedged = createClientFactory().use(watch).use(hedging.middleware).create(EchoServiceDefinition, channel);

    const without = await latencies(() => plain.echo({ message: 'x' }), 45);
    let cancelled = 0;
    let leftRunning = 0;
    const withHedging = await latencies(async () => {
      attempts.length = 0;
      await hedged.echo({ message: 'x' });
      cancelled += attempts.filter((a) => a.cancelled).length;
      leftRunning += attempts.filter((a) => !a.settled).length;
    }, 45);
    // A third of the unhedged calls wait for the slow replica; hedged ones almost never do (a busy
    // shared machine may stall one or two). With 45 calls p99 is the slowest call.
    const slowCalls = (latencies: number[]) => latencies.filter((ms) => ms >= 190).length;
    expect(slowCalls(without)).toBeGreaterThanOrEqual(10);
    expect(slowCalls(withHedging)).toBeLessThanOrEqual(2);
    expect(percentile(withHedging, 0.99)).toBeLessThan(percentile(without, 0.99));
    const stats = hedging.stats();
    expect(stats.hedges).toBeGreaterThanOrEqual(10);
    expect(stats.hedgeWins).toBeGreaterThanOrEqual(10);
    expect(cancelled).toBeGreaterThanOrEqual(10);
    expect(leftRunning).toBe(0);
  });

  it('never sends a backup to the replica the call is already waiting on, with many callers at once', async () => {
    // Round-robin with concurrent callers hands the slow replica a backup every third pick unless
    // the channel knows which replica the call's first attempt is on (the call's shared context).
    const servers = await replicas(3_000);
    // Every call may be hedged here: on a busy machine the fast ones can pass 20 ms too.
    const hedging = createHedging({ delayMs: 20, maxShare: 1, burst: 100 });
    const client = hedgedClient(hedging, channelOver(servers));
    const durations = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const started = performance.now();
        await client.echo({ message: 'x' });
        return performance.now() - started;
      }),
    );
    expect(durations.filter((ms) => ms >= 2_500)).toEqual([]);
    expect(hedging.stats().hedges).toBeGreaterThanOrEqual(8);
  });

  it('over balancedUnary, a losing primary sent on the caller’s own signal is still cancelled on its replica', async () => {
    const servers = await replicas(3_000);
    const channel = channelOver(servers);
    const hedging = createHedging({ delayMs: 20, maxShare: 1, burst: 100 });
    // Sits between hedging and the channel: the signal each attempt was sent with.
    const sentWith: (AbortSignal | undefined)[] = [];
    const watch: ClientMiddleware = async function* (call, options) {
      sentWith.push(options.signal);
      return yield* call.next(call.request, options);
    };
    const client = createClientFactory()
      .use(balancedUnary(channel, EchoServiceDefinition))
      .use(watch)
      .use(hedging.middleware)
      .create(EchoServiceDefinition, channel);
    const slow = servers[2]!.address;
    const inFlightOnSlow = () => channel.stats().find((s) => s.address === slow)!.inFlight;
    // Connections up first, unhedged, so only the slow replica is ever hedged against.
    for (let i = 0; i < 3; i++) await client.echo({ message: 'warm-up' }, { hedge: false });
    // Round robin: a, b, then c (slow). The calls before it teach hedging that the channel gives
    // each attempt a cancel, so the primary on c goes out on the caller's own signal.
    const caller = new AbortController();
    for (let i = 0; i < 2; i++) await client.echo({ message: 'x' }, { signal: caller.signal });
    sentWith.length = 0;
    await client.echo({ message: 'x' }, { signal: caller.signal });
    expect(sentWith[0]).toBe(caller.signal);
    expect(sentWith[1]).not.toBe(caller.signal);
    expect(hedging.stats().hedgeWins).toBeGreaterThanOrEqual(1);
    // The answer came from the backup; the primary on c must not hold its slot for 3 s.
    await vi.waitFor(() => expect(inFlightOnSlow()).toBe(0), { timeout: 1_000, interval: 10 });
    expect(hedging.stats().lossesLeftRunning).toBe(0);
    expect(caller.signal.aborted).toBe(false);
  });

  it('never hedges a method that is not idempotent', async () => {
    const servers = await replicas(100);
    for (const s of servers) s.behaviour.delayMs = 100;
    const hedging = createHedging({ delayMs: 5 });
    const client = hedgedClient(hedging, channelOver(servers));
    for (let i = 0; i < 6; i++) await client.write({ key: 'k', value: String(i) });
    const writes = servers.reduce((sum, s) => sum + s.counters.write, 0);
    expect(writes).toBe(6);
    expect(hedging.stats().hedges).toBe(0);
    // the same delay does hedge the idempotent method
    await client.echo({ message: 'x' });
    expect(hedging.stats().hedges).toBe(1);
  });

  it('draws each backup from the retry budget, and sends none when it is spent', async () => {
    const servers = await replicas(100);
    for (const s of servers) s.behaviour.delayMs = 50;
    // Room for exactly one retry in the window (0.1/s × 10 s), on a clock that stands still.
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0.1, clock: { now: () => 0 } });
    const hedging = createHedging({ delayMs: 5, maxShare: 1, burst: 100, budget });
    const client = hedgedClient(hedging, channelOver(servers));
    for (let i = 0; i < 3; i++) await client.echo({ message: 'x' });
    expect(hedging.stats().hedges).toBe(1);
    expect(budget.stats()).toMatchObject({ retries: 1, available: 0 });
    expect(servers.reduce((sum, s) => sum + s.counters.echo, 0)).toBe(4);
  });
});

describe('a client that stalls past the hedge delay (a GC pause, a long callback)', () => {
  it('sends no backup for a call whose answer arrived during the stall', async () => {
    const children: EchoReplica[] = [];
    for (const name of ['stall-a', 'stall-b']) {
      const child = await spawnEchoReplica(name);
      cleanups.push(() => child.stop());
      children.push(child);
    }
    // Each replica, in its own process, answers 15 ms after the request: during the stall below.
    for (const child of children) await child.send({ delayMs: 15 });
    const channel = createBalancedChannel({ service: 'echo', source: children.map((c) => c.address) });
    cleanups.push(() => channel.close());
    // No gate of its own in the way: every backup that is due and decided goes.
    const hedging = createHedging({ delayMs: 40, maxShare: 1, burst: 100, minWinRate: 0, loopLoad: false });
    const client = hedgedClient(hedging, channel);
    for (let i = 0; i < 2; i++) await client.echo({ message: 'warm-up' }, { hedge: false });
    const stallMs = 200;
    let covered = 0;
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const answer = client.echo({ message: 'x' });
      // The loop is blocked past the delay while the replica answers, from the check phase of this
      // turn, as a long callback would block it: the request is on the wire by then (Node flushes
      // HTTP/2 writes in the same phase, before any setImmediate callback), and the next turn runs
      // its expired timers (the hedge delay's) before it reads the sockets.
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          const until = performance.now() + stallMs;
          while (performance.now() < until);
          resolve();
        }),
      );
      await answer;
      // Calls whose answer came in before the stall began say nothing about it.
      if (performance.now() - started >= stallMs) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(3);
    // Each covered call's timer fired after the stall with the answer already in the socket.
    expect(hedging.stats().hedges).toBe(0);
    const picks = channel.stats().reduce((sum, s) => sum + s.picks, 0);
    expect(picks).toBe(2 + 6);
  });
});

describe("aggressive hedging and the server's rapid-reset limit", () => {
  it("delayMs 1 at concurrency 64 with no share cap fails no call: losers stay within each endpoint's cancellation rate", async () => {
    const servers: EchoServer[] = [];
    for (const name of ['a', 'b']) {
      const s = await startEchoServer({ replica: name, behaviour: { delayMs: 2 } });
      cleanups.push(() => s.kill());
      servers.push(s);
    }
    const channel = createBalancedChannel({ service: 'echo', source: servers.map((s) => s.address) });
    cleanups.push(() => channel.close());
    // Only the cancellation rate stands between these backups and nghttp2's limit (1 000, then 33/s).
    // Without it (maxCancelsPerSecond: 1e9) this run failed 45 calls "Stream refused by server".
    // The gates that thin losing bets would send few backups here (they mostly lose): off, so
    // every call is hedged and the cancellation rate alone is tested.
    const hedging = createHedging({
      delayMs: 1,
      maxShare: 1,
      burst: 10_000,
      minWinRate: 0,
      maxLoopLagRatio: 0,
      maxLoopUtilization: 0,
    });
    const client = hedgedClient(hedging, channel);
    const failures: unknown[] = [];
    // Enough calls that, every one hedged, the losers' resets pass nghttp2's burst of 1 000 on
    // each connection, however busy the machine; a time bound keeps the test finite.
    let calls = 0;
    const end = performance.now() + 25_000;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (calls < 3_000 && performance.now() < end) {
          calls++;
          await client.echo({ message: 'x' }).catch((e: unknown) => failures.push(e));
        }
      }),
    );
    expect(failures).toEqual([]);
  }, 40_000);
});

describe('hedging delay', () => {
  it('adaptive: the initial delay until 20 samples, then the observed p95', async () => {
    const server = await startEchoServer({ replica: 'a' });
    cleanups.push(() => server.kill());
    let now = 0;
    // every reading is 10 ms later than the last, so each call "takes" 10 ms
    const clock = { now: () => (now += 10) };
    const hedging = createHedging({ delayMs: 'adaptive', initialDelayMs: 77, clock });
    const channel = channelOver([server]);
    const client = createClientFactory().use(hedging.middleware).create(EchoServiceDefinition, channel);
    expect(hedging.stats().currentDelayMs).toBe(77);
    for (let i = 0; i < 20; i++) await client.echo({ message: 'x' });
    expect(hedging.stats().currentDelayMs).toBe(10);
  });

  it('rejects invalid options naming the field', () => {
    expect(() => createHedging({ delayMs: -1 })).toThrow(InvalidRecoveryOptionError);
    expect(() => createHedging({ percentile: 2 })).toThrow(/hedging\.percentile/);
  });
});
