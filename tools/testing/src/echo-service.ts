import { EchoServiceDefinition, type EchoServiceImplementation } from '@ballast/stubs/ballast/testing/v1/echo';
import { ServerError, Status } from 'nice-grpc-common';
import { delay } from './delay.js';

/** What a replica does to each call; mutable so a test can make a live replica slow or flaky. */
export interface EchoBehaviour {
  /** Added to every Echo and Write. */
  delayMs: number;
  /**
   * Echo calls with this message are answered without `delayMs`: a replica slow to some clients
   * and fast to another at the same time (each client names itself in its messages).
   */
  fastFor?: string;
  /** Fraction of Echo and Write calls that fail with `failCode`. */
  failRate: number;
  failCode: Status;
}

export interface EchoCounters {
  echo: number;
  write: number;
  count: number;
}

export function defaultBehaviour(): EchoBehaviour {
  return { delayMs: 0, failRate: 0, failCode: Status.UNAVAILABLE };
}

/** EchoService implementation for one replica; `random` decides which calls fail. */
export function createEchoService(
  replica: string,
  behaviour: EchoBehaviour,
  counters: EchoCounters,
  random: () => number = Math.random,
): EchoServiceImplementation {
  let sequence = 0;
  const misbehave = async (signal: AbortSignal, extraDelayMs: number, failCode: number, exempt = false) => {
    const wait = (exempt ? 0 : behaviour.delayMs) + extraDelayMs;
    if (wait > 0) await delay(wait, signal);
    if (failCode !== 0) throw new ServerError(failCode, `${replica}: failing as asked (code ${failCode})`);
    if (behaviour.failRate > 0 && random() < behaviour.failRate) {
      throw new ServerError(behaviour.failCode, `${replica}: injected failure`);
    }
  };
  return {
    async echo(request, context) {
      counters.echo++;
      const exempt = behaviour.fastFor !== undefined && request.message === behaviour.fastFor;
      await misbehave(context.signal, request.delayMs, request.failCode, exempt);
      return { message: request.message, replica, payload: request.payload };
    },
    async write(request, context) {
      counters.write++;
      await misbehave(context.signal, 0, 0);
      return { replica, sequence: ++sequence };
    },
    async *count(request, context) {
      counters.count++;
      for (let n = 1; n <= request.count; n++) {
        if (request.intervalMs > 0) await delay(request.intervalMs, context.signal);
        yield { n, replica };
      }
    },
    async *chat(requests) {
      // Answers after the request stream ends, so a failing replica can be made to fail after it
      // read every request and before its first response.
      const messages: string[] = [];
      for await (const request of requests) messages.push(request.message);
      for (const message of messages) yield { message, replica };
    },
  };
}

export { EchoServiceDefinition };
