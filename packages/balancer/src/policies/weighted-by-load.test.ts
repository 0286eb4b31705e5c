import { ManualClock } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { pickRequest, type Picker, type Policy } from '../picker.js';
import { endpoints } from '../__tests__/policy-helpers.js';
import { loadWeight } from './load-weight.js';

const options = { blackoutMs: 10_000, expiryMs: 60_000, weightUpdatePeriodMs: 1_000 };

/** Picks `count` times; each attempt gets the given endpoint's load report back. */
function serve(picker: Picker, count: number, cpu?: Record<string, number>) {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const pick = picker.pick(pickRequest());
    seen[pick.endpoint.id] = (seen[pick.endpoint.id] ?? 0) + 1;
    const load = cpu ? { cpuUtilization: cpu[pick.endpoint.id]!, rpsFractional: 100 } : undefined;
    pick.done({ code: 0, latencyMs: 1, ...(load && { load }) });
  }
  return seen;
}

function setup(): { clock: ManualClock; policy: Policy; current: () => Picker; rebuilds: () => number } {
  const clock = new ManualClock(0);
  const policy = createPolicy({ policy: 'weighted-by-load', clock, policyOptions: options });
  const list = endpoints(2);
  let picker = policy.picker(list);
  let rebuilds = 0;
  policy.onStale!(() => {
    rebuilds++;
    picker = policy.picker(list);
  });
  return { clock, policy, current: () => picker, rebuilds: () => rebuilds };
}

describe('weighted-by-load', () => {
  it('turns ORCA reports into weights as gRFC A58 does: qps / (utilisation + eps / qps)', () => {
    expect(loadWeight({ cpuUtilization: 0.5, rpsFractional: 100 })).toBe(200);
    // The application's own utilisation, when reported, wins over CPU.
    expect(loadWeight({ cpuUtilization: 0.1, applicationUtilization: 0.5, rpsFractional: 100 })).toBe(200);
    expect(loadWeight({ applicationUtilization: 0.5, rpsFractional: 100, eps: 50 })).toBe(100);
    // Without qps or utilisation there is no weight (protobuf's missing fields read as 0).
    expect(loadWeight({ cpuUtilization: 0.25 })).toBeUndefined();
    expect(loadWeight({ cpuUtilization: 0, rpsFractional: 10 })).toBeUndefined();
    expect(loadWeight({})).toBeUndefined();
  });

  it('ignores reports during the blackout, then weights by them', () => {
    const { clock, current, rebuilds } = setup();
    const cpu = { e0: 0.8, e1: 0.2 };
    const early = serve(current(), 1_000, cpu);
    expect(early.e0).toBe(500);
    clock.advance(5_000);
    expect(serve(current(), 1_000, cpu).e0).toBe(500);
    clock.advance(6_000);
    serve(current(), 1, cpu);
    expect(rebuilds()).toBeGreaterThan(0);
    const weighted = serve(current(), 1_000, cpu);
    // weights 100/0.8 = 125 and 100/0.2 = 500: e1 gets 4 of every 5 calls.
    expect(weighted.e1).toBe(800);
  });

  it('drops weights whose last report expired, going back to equal shares', () => {
    const { clock, current } = setup();
    const cpu = { e0: 0.8, e1: 0.2 };
    serve(current(), 10, cpu);
    clock.advance(11_000);
    serve(current(), 10, cpu);
    expect(serve(current(), 1_000, cpu).e1).toBe(800);
    clock.advance(61_000);
    serve(current(), 1);
    expect(serve(current(), 1_000).e1).toBe(500);
  });

  it('gives endpoints without a weight the mean of the others', () => {
    const clock = new ManualClock(0);
    const policy = createPolicy({ policy: 'weighted-by-load', clock, policyOptions: options });
    const list = endpoints(3);
    const picker = policy.picker(list);
    for (let i = 0; i < 30; i++) {
      const pick = picker.pick(pickRequest());
      const cpuUtilization = pick.endpoint.id === 'e0' ? 0.25 : 0.5;
      const load = { cpuUtilization, rpsFractional: 1 };
      pick.done({ code: 0, latencyMs: 1, ...(pick.endpoint.id !== 'e2' && { load }) });
    }
    clock.advance(11_000);
    for (let i = 0; i < 30; i++) {
      const pick = picker.pick(pickRequest());
      const cpuUtilization = pick.endpoint.id === 'e0' ? 0.25 : 0.5;
      const load = { cpuUtilization, rpsFractional: 1 };
      pick.done({ code: 0, latencyMs: 1, ...(pick.endpoint.id !== 'e2' && { load }) });
    }
    const seen = serve(policy.picker(list), 1_000);
    // weights 4, 2 and mean 3: shares 4/9, 2/9, 3/9.
    expect(seen.e0).toBeGreaterThanOrEqual(443);
    expect(seen.e0).toBeLessThanOrEqual(446);
    expect(seen.e2).toBeGreaterThanOrEqual(332);
    expect(seen.e2).toBeLessThanOrEqual(335);
  });

  it('takes out-of-band reports as it takes those in trailers', () => {
    const clock = new ManualClock(0);
    const policyOptions = { ...options, blackoutMs: 0, oobReportPeriodMs: 500 };
    const policy = createPolicy({ policy: 'weighted-by-load', clock, policyOptions });
    expect(policy.oobReportPeriodMs).toBe(500);
    const list = endpoints(2);
    policy.picker(list);
    policy.onLoadReport!('e0', { applicationUtilization: 0.8, rpsFractional: 100 });
    policy.onLoadReport!('e1', { applicationUtilization: 0.2, rpsFractional: 100 });
    policy.onLoadReport!('gone', { applicationUtilization: 0.2, rpsFractional: 100 });
    clock.advance(1);
    expect(serve(policy.picker(list), 1_000).e1).toBe(800);
  });
});
