import { describe, expect, it } from 'vitest';
import { CALL_CONTEXT, CallContext, callContextOf } from './call-context.js';
import type { Signal } from './signal.js';

const end = (context: CallContext, id: string, code: number, signal: Signal) =>
  Object.assign(context.begin(id), { code, signal });

describe('CallContext', () => {
  it('avoids nothing before the first attempt', () => {
    expect(new CallContext('/s/M').avoid().size).toBe(0);
  });

  it('avoids endpoints in flight and those that failed or shed; not those that answered or were cancelled', () => {
    const context = new CallContext('/s/M');
    context.begin('in-flight');
    end(context, 'failed', 14, 'endpoint-failing');
    end(context, 'shed', 8, 'endpoint-overloaded');
    end(context, 'wrong-request', 3, 'request-problem');
    end(context, 'lost-hedge', 1, 'cancelled');
    expect([...context.avoid()].sort()).toEqual(['failed', 'in-flight', 'shed']);
    expect(context.inFlight()).toBe(1);
    expect(context.lastEnded()?.endpointId).toBe('lost-hedge');
  });

  it('avoids an endpoint an attempt was moved off, though the move itself carries no signal', () => {
    const context = new CallContext('/s/M');
    Object.assign(context.begin('frozen'), { code: 14, signal: 'cancelled', movedBecause: 'taken out of rotation' });
    expect([...context.avoid()]).toEqual(['frozen']);
  });

  it('without failover only in-flight endpoints are avoided', () => {
    const context = new CallContext('/s/M');
    context.avoidFailed = false;
    context.begin('busy');
    end(context, 'failed', 14, 'endpoint-failing');
    expect([...context.avoid()]).toEqual(['busy']);
  });

  it('numbers attempts and names each first, retry or hedge from what the layers above counted', () => {
    const context = new CallContext('/s/M');
    const first = context.begin('a');
    context.hedges++;
    const hedge = context.begin('b');
    context.retries++;
    const retry = context.begin('c');
    expect([first, hedge, retry].map((a) => [a.number, a.kind])).toEqual([
      [1, 'first'],
      [2, 'hedge'],
      [3, 'retry'],
    ]);
  });

  it('tells its observer of events', () => {
    const context = new CallContext('/s/M');
    const seen: unknown[] = [];
    context.note({ type: 'budget-refused', refused: 'retry' });
    context.observer = {
      attemptStarted: () => undefined,
      attemptEnded: () => undefined,
      event: (event) => seen.push(event),
    };
    context.note({ type: 'moved', endpointId: 'a', reason: 'taken out' });
    expect(seen).toEqual([{ type: 'moved', endpointId: 'a', reason: 'taken out' }]);
  });

  it('travels in call options under a symbol', () => {
    const context = new CallContext('/s/M');
    const options = { deadline: 5, [CALL_CONTEXT]: context };
    expect(callContextOf({ ...options })).toBe(context);
    expect(JSON.stringify(options)).toBe('{"deadline":5}');
    expect(callContextOf({})).toBeUndefined();
  });
});
