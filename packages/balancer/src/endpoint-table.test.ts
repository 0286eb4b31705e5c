import { createLogger, seededRandom, StaticEndpointSource, type Endpoint, type EndpointSource } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create-policy.js';
import { EndpointTable } from './endpoint-table.js';
import { pickRequest } from './picker.js';

const logger = createLogger('endpoint-table-test');
const a = { id: 'a', address: '127.0.0.1:1' };
const b = { id: 'b', address: '127.0.0.1:2' };

/** A source that may publish anything, as a registry watch fed garbage would. */
function looseSource(initial: readonly Endpoint[]): EndpointSource & { publish(list: readonly Endpoint[]): void } {
  let current = initial;
  const listeners = new Set<(list: readonly Endpoint[]) => void>();
  return {
    current: () => current,
    subscribe(listener) {
      listeners.add(listener);
      listener(current);
      return () => listeners.delete(listener);
    },
    publish(list) {
      current = list;
      for (const listener of listeners) listener(list);
    },
  };
}

describe('EndpointTable', () => {
  it('keeps every usable entry of a list with a duplicate id or a bad address, and drops only those', () => {
    const source = looseSource([a]);
    const table = new EndpointTable({ source, logger });
    source.publish([a, { id: 'a', address: '127.0.0.1:9' }, { id: 'bad', address: 'nowhere' }, b]);
    expect(table.current().map((e) => `${e.id}@${e.address}`)).toEqual(['a@127.0.0.1:1', 'b@127.0.0.1:2']);
    expect([...table.entries()].map((e) => e.endpoint.id)).toEqual(['a', 'b']);
    table.close();
  });

  it("is the one place in-flight attempts are counted: a policy reads the table's count", () => {
    const table = new EndpointTable({ source: new StaticEndpointSource([a, b]), logger });
    const policy = createPolicy({ policy: 'least-request', inFlight: table.inFlight, random: seededRandom(3) });
    const picker = policy.picker(table.current());
    for (let i = 0; i < 5; i++) table.acquire(table.get('a')!, undefined);
    for (let i = 0; i < 20; i++) {
      const pick = picker.pick(pickRequest());
      expect(pick.endpoint.id).toBe('b');
      pick.done({ code: 0, latencyMs: 1 });
    }
    // The policy's picks and dones did not count twice.
    expect(table.get('b')!.inFlight).toBe(0);
    expect(table.stats(new Set()).map((s) => [s.id, s.inFlight])).toEqual([
      ['a', 5],
      ['b', 0],
    ]);
    table.close();
  });

  it('moves the movable attempts in flight on an endpoint, once, and counts those that stay apart', () => {
    const table = new EndpointTable({ source: new StaticEndpointSource([a, b]), logger });
    const moved: string[] = [];
    const attempt = (name: string, goes = true) => ({
      moveOff: (reason: string) => {
        moved.push(`${name}: ${reason}`);
        return goes;
      },
    });
    const entry = table.get('a')!;
    table.acquire(entry, attempt('x'));
    table.acquire(entry, attempt('y'));
    table.acquire(entry, attempt('stays', false));
    table.acquire(entry, undefined);
    expect(table.moveOff('a', 'frozen')).toBe(2);
    expect(table.moveOff('a', 'frozen')).toBe(0);
    expect(moved).toEqual(['x: frozen', 'y: frozen', 'stays: frozen']);
    table.close();
  });

  it('with a subset, holds entries for and publishes only the members, and replaces down ones', () => {
    const fleet = Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, address: `127.0.0.1:${100 + i}` }));
    const source = looseSource(fleet);
    const table = new EndpointTable({ source, subset: { size: 4, clientId: 'c1', holdDownMs: 0 }, logger });
    const members = table.current().map((e) => e.id);
    expect(members).toHaveLength(4);
    expect([...table.entries()].map((e) => e.endpoint.id)).toEqual(members);
    expect(table.available()).toHaveLength(20);

    const down = new Set([members[0]!]);
    const listeners = new Set<() => void>();
    table.followHealth(
      (id) => !down.has(id),
      (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    );
    for (const listener of listeners) listener();
    const grown = table.current().map((e) => e.id);
    expect(grown).toHaveLength(5);
    expect(grown).toEqual(expect.arrayContaining(members));
    // Recovered: the subset shrinks back to its four members.
    down.clear();
    for (const listener of listeners) listener();
    expect(table.current().map((e) => e.id)).toEqual(members);
    table.close();
  });
});
