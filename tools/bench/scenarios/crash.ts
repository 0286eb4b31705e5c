import type { Scenario } from '@ballast/bench-kit';
import { faultTimeline, summarizeFaultRuns } from '../src/fault-summary.js';
import { faultParams, runFaultScenario } from '../src/fault-scenario.js';

export const scenario: Scenario = {
  name: 'crash',
  description: 'SIGKILL one replica of 3 under steady load through connect(): failed calls, picks after the kill, p99',
  async run(context) {
    const params = {
      ...faultParams(context.quick),
      client: 'connect() defaults (peak-ewma, detector, retry with budget, breakers), deadline 5 s',
    };
    const { sigkill } = await runFaultScenario({
      name: 'crash',
      context,
      params,
      variants: ['sigkill'],
      fault: (replica) => replica.crash(),
    });
    return {
      params,
      results: [{ variant: 'sigkill', ...summarizeFaultRuns(sigkill, true) }],
      anchors: [
        'target: 0 failed calls (issue 9); picks_stop_ms = last attempt the balancer sent to the dead replica after the kill',
        'p99_ms = calls started in the 2 s after the kill; p99_before_ms = steady state before it, same run',
      ],
      series: { timeline: sigkill[0] ? faultTimeline(sigkill[0], { scenario: 'crash', variant: 'sigkill' }) : [] },
    };
  },
};
