import { ManualClock, seededRandom, StaticEndpointSource, type HealthView } from '@ballast/core';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createClient } from 'nice-grpc';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBalancedChannel, InvalidBalancerOptionError, type BalancedChannel } from '../src/index.js';
import { startRecordingServer, type RecordingServer } from './fixtures.js';

const silent = pino({ level: 'silent' });
let servers: RecordingServer[] = [];
let channels: BalancedChannel[] = [];

beforeEach(async () => {
  servers = await Promise.all(['a', 'b', 'c'].map(startRecordingServer));
});

afterEach(() => {
  for (const channel of channels) channel.close();
  channels = [];
  for (const server of servers) server.kill();
});

/** A detector stand-in: ids taken out and put back, announcing every change. */
function health(): HealthView & { out(id: string): void; back(id: string): void } {
  const out = new Set<string>();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  return {
    eligible: (endpoints) => endpoints.filter((e) => !out.has(e.id)),
    onChange: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    out: (id) => (out.add(id), changed()),
    back: (id) => (out.delete(id), changed()),
  };
}

async function callsPerReplica(channel: BalancedChannel, n: number): Promise<Record<string, number>> {
  const client = createClient(EchoServiceDefinition, channel);
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { replica } = await client.echo({ message: 'x' });
    seen[replica] = (seen[replica] ?? 0) + 1;
  }
  return seen;
}

describe('balanced channel: zone and slow start', () => {
  it('keeps calls in its zone and fails over to the other zone when its zone is out', async () => {
    const view = health();
    const zones = { a: 'z1', b: 'z1', c: 'z2' } as Record<string, string>;
    const channel = createBalancedChannel({
      service: 'echo',
      source: new StaticEndpointSource(
        servers.map((s) => ({ id: s.replica, address: s.address, zone: zones[s.replica] })),
      ),
      policy: 'round-robin',
      zone: 'z2',
      health: view,
      random: seededRandom(1),
      logger: silent,
    });
    channels.push(channel);
    expect(await callsPerReplica(channel, 30)).toEqual({ c: 30 });
    view.out('c');
    expect(await callsPerReplica(channel, 30)).toEqual({ a: 15, b: 15 });
  });

  it('ramps a returning replica: never above its share, a tenth of it at first, all of it after the window', async () => {
    const view = health();
    const clock = new ManualClock(0);
    const channel = createBalancedChannel({
      service: 'echo',
      source: servers.map((s) => ({ id: s.replica, address: s.address })),
      policy: 'random',
      slowStart: { windowMs: 10_000 },
      health: view,
      clock,
      random: seededRandom(2),
      logger: silent,
    });
    channels.push(channel);
    view.out('c');
    expect((await callsPerReplica(channel, 30)).c).toBeUndefined();
    view.back('c');
    const early = (await callsPerReplica(channel, 600)).c ?? 0;
    expect(early).toBeGreaterThan(0);
    expect(early).toBeLessThan(600 / 3 / 4);
    clock.advance(10_000);
    const after = (await callsPerReplica(channel, 600)).c ?? 0;
    expect(after).toBeGreaterThan(600 / 3 - 50);
  });

  it('refuses a bad zone or slow-start option, naming it', () => {
    const base = { service: 'echo', source: ['127.0.0.1:1'], logger: silent };
    expect(() => createBalancedChannel({ ...base, zone: '' })).toThrow(InvalidBalancerOptionError);
    expect(() => createBalancedChannel({ ...base, slowStart: { windowMs: 0 } })).toThrow(/slowStart\.windowMs/);
    expect(() => createBalancedChannel({ ...base, slowStart: { ramp: 1 } as never })).toThrow(/slowStart/);
  });
});
