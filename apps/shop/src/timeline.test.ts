import { describe, expect, it } from 'vitest';
import type { Transition } from './replica-reporter.js';
import { Timeline } from './timeline.js';

const T0 = Date.UTC(2026, 0, 1, 12, 1, 3, 200);
const down = (at: number, caller: string, subject = 'inventory-1'): Transition => ({
  at,
  caller,
  service: 'inventory',
  kind: 'endpoint',
  subject,
  from: 'up',
  to: 'ejected',
  reason: 'failure-rate',
});

describe('Timeline', () => {
  it('pairs a reaction with the latest fault on its replica and says how long it took', () => {
    const timeline = new Timeline();
    timeline.processState(T0 - 60_000, 'inventory-1', { kind: 'running' });
    timeline.processState(T0, 'inventory-1', { kind: 'frozen' });
    timeline.transitions([down(T0 + 480, 'orders-2')]);
    const [fault, reaction] = timeline.events();
    expect(fault).toMatchObject({ kind: 'fault', subject: 'inventory-1', text: 'inventory-1 frozen' });
    expect(reaction).toMatchObject({ kind: 'reaction', subject: 'inventory-1', reactionMs: 480 });
    expect(reaction!.text).toBe(
      "inventory-1 frozen 12:01:03.2 → ejected by orders-2's client (failure-rate) 12:01:03.6 (480 ms)",
    );
  });

  it('takes each transition once although every report repeats the recent ones', () => {
    const timeline = new Timeline();
    const t = down(T0, 'orders-1');
    timeline.transitions([t]);
    timeline.transitions([t, down(T0 + 5, 'orders-2')]);
    expect(timeline.events().map((e) => e.text)).toEqual([
      "inventory-1 ejected by orders-1's client (failure-rate)",
      "inventory-1 ejected by orders-2's client (failure-rate)",
    ]);
  });

  it('keeps time order when a report arrives late, and pairs nothing outside the window or on another replica', () => {
    const timeline = new Timeline({ reactionWindowMs: 1000 });
    timeline.processState(T0, 'inventory-2', { kind: 'running' });
    timeline.processState(T0 + 10, 'inventory-2', { kind: 'down', reason: 'killed' });
    timeline.transitions([down(T0 + 5000, 'orders-1', 'inventory-2')]);
    timeline.transitions([down(T0 + 20, 'orders-2', 'inventory-1')]);
    expect(timeline.events().map((e) => [e.at - T0, e.kind, e.reactionMs])).toEqual([
      [10, 'fault', undefined],
      [20, 'reaction', undefined],
      [5000, 'reaction', undefined],
    ]);
  });

  it('names restarts, drains and thaws, and a breaker opening as a reaction to a fault on its service', () => {
    const timeline = new Timeline();
    const steps = [
      ['payments-1', { kind: 'running' }],
      ['payments-1', { kind: 'draining' }],
      ['payments-1', { kind: 'down', reason: 'drained' }],
      ['payments-1', { kind: 'restarting' }],
      ['payments-1', { kind: 'running' }],
    ] as const;
    steps.forEach(([name, state], i) => timeline.processState(T0 + i, name, state));
    timeline.transitions([
      {
        at: T0 + 100,
        caller: 'orders-1',
        service: 'payments',
        kind: 'breaker',
        subject: '/shop.v1.PaymentService/Charge',
        from: 'closed',
        to: 'open',
        reason: 'failure rate',
      },
    ]);
    expect(timeline.events().map((e) => `${e.kind}: ${e.text}`)).toEqual([
      'fault: payments-1 draining',
      'process: payments-1 drained',
      'process: payments-1 restarting',
      'recovery: payments-1 serving again',
      "reaction: payments-1 draining 12:01:03.2 → orders-1's client breaker /shop.v1.PaymentService/Charge opened 12:01:03.3 (99 ms)",
    ]);
  });
});
