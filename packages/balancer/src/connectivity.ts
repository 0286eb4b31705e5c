import * as grpc from '@grpc/grpc-js';

const PREFERENCE = [grpc.connectivityState.READY, grpc.connectivityState.CONNECTING, grpc.connectivityState.IDLE];

/** The channel is as connected as its best endpoint: READY if any is, else CONNECTING, else IDLE. */
export function aggregateConnectivity(states: readonly grpc.connectivityState[]): grpc.connectivityState {
  return PREFERENCE.find((state) => states.includes(state)) ?? grpc.connectivityState.TRANSIENT_FAILURE;
}

/**
 * grpc-js's watchConnectivityState over an aggregate. Endpoint channels come and go, so this polls
 * the aggregate (every 50 ms, unref'd) rather than tracking every channel's own watch.
 */
export function watchConnectivity(
  read: () => grpc.connectivityState,
  current: grpc.connectivityState,
  deadline: Date | number,
  callback: (error?: Error) => void,
): void {
  const end = deadline instanceof Date ? deadline.getTime() : deadline;
  const check = (): void => {
    if (read() !== current) callback();
    else if (Date.now() >= end) callback(new Error('Deadline passed without connectivity state change'));
    else setTimeout(check, Math.min(50, Math.max(1, end - Date.now()))).unref();
  };
  setTimeout(check, 0).unref();
}
