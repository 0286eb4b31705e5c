import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.js';
import { EndpointPublisher } from './endpoint-publisher.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe('Emitter', () => {
  it('calls listeners in order until their disposer runs', () => {
    const emitter = new Emitter<number>('tick');
    const seen: string[] = [];
    const stopA = emitter.on((n) => seen.push(`a${n}`));
    emitter.on((n) => seen.push(`b${n}`));
    emitter.emit(1);
    stopA();
    stopA();
    emitter.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(emitter.size).toBe(1);
  });

  it('gives the same function subscribed twice two subscriptions', () => {
    const emitter = new Emitter<void>('tick');
    let calls = 0;
    const listener = () => calls++;
    const stop = emitter.on(listener);
    emitter.on(listener);
    stop();
    emitter.emit();
    expect(calls).toBe(1);
  });

  it('isolates a throwing listener: the others run, the emitter does not throw, the error is logged', () => {
    const { lines, logger } = capture();
    const emitter = new Emitter<string>('state change', logger);
    const seen: string[] = [];
    emitter.on(() => {
      throw new Error('bad subscriber');
    });
    emitter.on((value) => seen.push(value));
    expect(() => emitter.emit('down')).not.toThrow();
    expect(seen).toEqual(['down']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'state change', err: { message: 'bad subscriber' } });
  });

  it('once() hears one event; a listener removed during emit still hears the current one only', () => {
    const emitter = new Emitter<number>('tick');
    const seen: number[] = [];
    emitter.once((n) => seen.push(n));
    emitter.emit(1);
    emitter.emit(2);
    expect(seen).toEqual([1]);
    expect(emitter.size).toBe(0);
  });
});

describe('EndpointPublisher', () => {
  it('tells every subscriber of a change even when one of them throws', () => {
    const publisher = new EndpointPublisher();
    const heard: number[] = [];
    publisher.subscribe((endpoints) => {
      if (endpoints.length > 0) throw new Error('a broken subscriber');
    });
    publisher.subscribe((endpoints) => heard.push(endpoints.length));
    expect(() => publisher.publish([{ id: 'a', address: '127.0.0.1:1' }])).not.toThrow();
    expect(heard).toEqual([0, 1]);
  });
});
