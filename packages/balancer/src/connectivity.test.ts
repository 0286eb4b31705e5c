import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { aggregateConnectivity, watchConnectivity } from './connectivity.js';

const { READY, CONNECTING, IDLE, TRANSIENT_FAILURE } = grpc.connectivityState;

describe('connectivity', () => {
  it('is as connected as the best endpoint', () => {
    expect(aggregateConnectivity([TRANSIENT_FAILURE, CONNECTING, READY])).toBe(READY);
    expect(aggregateConnectivity([IDLE, CONNECTING])).toBe(CONNECTING);
    expect(aggregateConnectivity([TRANSIENT_FAILURE])).toBe(TRANSIENT_FAILURE);
    expect(aggregateConnectivity([])).toBe(TRANSIENT_FAILURE);
  });

  it('reports a change, or an error once the deadline passes', async () => {
    let state = IDLE;
    const changed = new Promise<Error | undefined>((resolve) =>
      watchConnectivity(() => state, IDLE, Infinity, resolve),
    );
    state = READY;
    expect(await changed).toBeUndefined();
    const expired = await new Promise<Error | undefined>((resolve) =>
      watchConnectivity(() => IDLE, IDLE, Date.now() + 20, resolve),
    );
    expect(expired?.message).toMatch(/Deadline/);
  });
});
