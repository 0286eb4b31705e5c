import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

describe('RestartPolicy', () => {
  it('restarts with doubling delays, capped', () => {
    const policy = new RestartPolicy({ baseDelayMs: 100, maxDelayMs: 500, maxRestarts: 10, stableMs: 10_000 });
    const delays = [0, 1, 2, 3, 4].map((i) => policy.onExit(i * 10, 5, false));
    expect(delays).toEqual([100, 200, 400, 500, 500].map((delayMs) => ({ action: 'restart', delayMs })));
  });

  it('a child that ran for stableMs starts its backoff over', () => {
    const policy = new RestartPolicy({ baseDelayMs: 100, stableMs: 1_000, maxRestarts: 10 });
    policy.onExit(0, 10, false);
    policy.onExit(10, 10, false);
    expect(policy.onExit(2_000, 1_500, false)).toEqual({ action: 'restart', delayMs: 100 });
  });

  it('gives up when more than maxRestarts crashes fall inside the window', () => {
    const policy = new RestartPolicy({ maxRestarts: 2, windowMs: 1_000 });
    expect(policy.onExit(0, 1, false).action).toBe('restart');
    expect(policy.onExit(100, 1, false).action).toBe('restart');
    expect(policy.onExit(200, 1, false)).toEqual({
      action: 'give-up',
      reason: 'crash loop: 3 exits within 1000 ms (maxRestarts 2)',
    });
  });

  it('crashes spread wider than the window are not a loop', () => {
    const policy = new RestartPolicy({ maxRestarts: 2, windowMs: 1_000 });
    for (let i = 0; i < 10; i++) expect(policy.onExit(i * 600, 1, false).action).toBe('restart');
  });

  it('a clean exit ends supervision unless restartOnCleanExit', () => {
    expect(new RestartPolicy().onExit(0, 1, true)).toEqual({ action: 'done' });
    expect(new RestartPolicy({ restartOnCleanExit: true }).onExit(0, 1, true).action).toBe('restart');
  });
});
