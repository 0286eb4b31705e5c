import { AsyncLocalStorage } from 'node:async_hooks';

export interface IncomingDeadline {
  /** Absolute deadline, epoch milliseconds. */
  readonly at: number;
}

/** Holds the deadline of the server call being handled, for every await within it. */
export const deadlineStorage = new AsyncLocalStorage<IncomingDeadline>();

/** The deadline of the server call being handled, if it had one. */
export function currentDeadline(): IncomingDeadline | undefined {
  return deadlineStorage.getStore();
}
