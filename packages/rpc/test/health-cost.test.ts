import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour, delay, spawnEchoReplica, type EchoReplica } from '@ballast/testing';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, connection, disconnect, serve, service } from '../src/index.js';

// connect()'s default health checking: a Check only on a silent connection, so its cost per
// replica does not grow with traffic, and a frozen replica is still found in about a second.

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function child(name: string): Promise<EchoReplica> {
  const r = await spawnEchoReplica(name);
  cleanup.push(() => r.stop());
  return r;
}

describe('default health checking', () => {
  it('finds a SIGSTOPped replica with calls in flight in about a second; every call succeeds elsewhere', async () => {
    const replicas = await Promise.all(['h1', 'h2', 'h3'].map(child));
    const client = connect(EchoServiceDefinition, {
      endpoints: replicas.map((r) => ({ id: r.replica, address: r.address })),
      balancer: 'round-robin',
      deadlineMs: 10_000,
    });
    cleanup.push(() => disconnect(client));
    const parts = connection(client)!;
    await vi.waitFor(() => expect(parts.detector!.states().every((s) => s.lastRttMs !== undefined)).toBe(true), {
      timeout: 10_000,
      interval: 20,
    });
    expect(parts.detector!.states().map((s) => s.heartbeat)).toEqual(['on-silence', 'on-silence', 'on-silence']);

    // Eight callers, each a call after another: every replica always has calls waiting on it.
    const stop = new AbortController();
    let failed = 0;
    let done = 0;
    const callers = Array.from({ length: 8 }, async () => {
      while (!stop.signal.aborted) {
        await client.echo({ message: 'x', delayMs: 20 }).then(
          () => done++,
          () => failed++,
        );
      }
    });
    const frozen = replicas[0]!;
    const entry = parts.table.get(frozen.replica)!;
    await vi.waitFor(() => expect(entry.inFlight).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    const down = new Promise<number>((resolve) =>
      parts.detector!.onEndpointStateChange((c) => {
        if (c.endpoint.id === frozen.replica && c.current.type === 'down') resolve(performance.now());
      }),
    );
    const frozenAt = performance.now();
    frozen.freeze();
    cleanup.push(() => frozen.thaw());
    const detectMs = (await down) - frozenAt;
    const doneAtDetection = done;
    await vi.waitFor(() => expect(done).toBeGreaterThan(doneAtDetection + 50), { timeout: 10_000 });
    stop.abort();
    await Promise.all(callers);
    expect(parts.detector!.state(frozen.replica)).toMatchObject({ type: 'down', reason: 'heartbeat-timeout' });
    // 400 ms of silence with calls waiting, then 450 ms for the probe (≈ 0.9 s); room for a loaded machine.
    expect(detectMs).toBeLessThan(1_500);
    expect(failed).toBe(0);
  });

  it("serve() accepts a Ballast client's pings and probes: an idle connection is never closed by GOAWAY", async () => {
    const handle = await serve({
      name: 'echo',
      instanceId: 'idle',
      services: [
        service(EchoServiceDefinition, createEchoService('idle', defaultBehaviour(), { echo: 0, write: 0, count: 0 })),
      ],
      handleSignals: false,
      metrics: false,
    });
    cleanup.push(() => handle.close());
    // The fastest keepalive connect() allows (1 s) over five intervals, with the default probes.
    const client = connect(EchoServiceDefinition, {
      endpoints: [{ id: 'idle', address: handle.address }],
      keepalive: { timeMs: 1_000, timeoutMs: 1_000 },
    });
    cleanup.push(() => disconnect(client));
    const parts = connection(client)!;
    await vi.waitFor(() => expect(parts.detector!.states()[0]!.lastRttMs).toBeDefined(), { timeout: 10_000 });
    const channel = parts.table.get('idle')!.channel();
    expect(channel.getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    const transitions: string[] = [];
    const watch = (state: grpc.connectivityState) =>
      channel.watchConnectivityState(state, Infinity, () => {
        const next = channel.getConnectivityState(false);
        transitions.push(grpc.connectivityState[next]);
        if (next !== grpc.connectivityState.SHUTDOWN) watch(next);
      });
    watch(grpc.connectivityState.READY);
    const rttBefore = parts.detector!.states()[0]!.lastRttMs;
    // A window of five ping intervals and two idle probes: what is measured is that nothing happens.
    await delay(5_500);
    expect(transitions).toEqual([]);
    expect(parts.detector!.state('idle')).toEqual({ type: 'up' });
    expect(rttBefore).toBeDefined();
  });
});
