import { delay as abortableDelay } from 'abort-controller-x';

const never = new AbortController().signal;

/** A timer that rejects with an AbortError (abort-controller-x's) when the call is cancelled. */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  await abortableDelay(signal ?? never, ms);
}
