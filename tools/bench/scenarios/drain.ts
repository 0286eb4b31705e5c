import type { Scenario } from '@ballast/bench-kit';
import { faultTimeline, summarizeFaultRuns } from '../src/fault-summary.js';
import { faultParams, runFaultScenario } from '../src/fault-scenario.js';
import { spawnServeReplica } from '../src/serve-replica.js';

export const scenario: Scenario = {
  name: 'drain',
  description: 'SIGTERM one serve() replica of 3 under steady load: it drains; failed calls (target 0)',
  async run(context) {
    const params = {
      ...faultParams(context.quick),
      server: 'serve() defaults without a registry (drainDelayMs 0), child processes',
      client: 'connect() defaults, deadline 5 s',
    };
    const { sigterm } = await runFaultScenario({
      name: 'drain',
      context,
      params,
      variants: ['sigterm'],
      fault: (replica) => replica.drain(10_000),
      spawn: (name) => spawnServeReplica(name),
    });
    return {
      params,
      results: [{ variant: 'sigterm', ...summarizeFaultRuns(sigterm, true) }],
      anchors: [
        'target: 0 failed calls (issue 9): the replica turns NOT_SERVING, finishes in-flight calls, then closes',
        'detect_ms = when the client learnt it was going (health watch), after the SIGTERM',
      ],
      series: { timeline: sigterm[0] ? faultTimeline(sigterm[0], { scenario: 'drain', variant: 'sigterm' }) : [] },
    };
  },
};
