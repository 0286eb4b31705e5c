import { ClientError, Status, type CallOptions, type ClientMiddlewareCall } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { ReplayableRequests } from './replayable-requests.js';
import { createRetry } from './retry.js';

// Retries of bidi and client-streaming calls over a scripted transport: each attempt reads the
// request stream it is given, then answers or fails.

type Script = (attempt: number, requests: string[]) => { responses: string[]; failAfter?: Status };

function bidiCall(
  script: Script,
  request: AsyncIterable<string>,
  idempotent = true,
): { call: ClientMiddlewareCall<string, string>; seen: string[][] } {
  const seen: string[][] = [];
  const call: ClientMiddlewareCall<string, string> = {
    method: {
      path: '/test.Chat/Talk',
      requestStream: true,
      responseStream: true,
      options: { idempotencyLevel: idempotent ? 'IDEMPOTENT' : undefined },
    },
    requestStream: true,
    responseStream: true,
    request: request as unknown as string,
    async *next(requests: AsyncIterable<string> | string) {
      const got: string[] = [];
      seen.push(got);
      for await (const message of requests as AsyncIterable<string>) got.push(message);
      const answer = script(seen.length, got);
      for (const response of answer.responses) yield response;
      if (answer.failAfter !== undefined) throw new ClientError('/test.Chat/Talk', answer.failAfter, 'scripted');
    },
  } as unknown as ClientMiddlewareCall<string, string>;
  return { call, seen };
}

async function* messages(...items: string[]) {
  for (const item of items) yield item;
}

const retryOptions = { budget: false as const, backoff: { baseMs: 0, maxMs: 0 } };

async function run(call: ClientMiddlewareCall<string, string>, options: CallOptions = {}, maxReplayMessages = 64) {
  const retry = createRetry({ ...retryOptions, maxReplayMessages });
  const out: string[] = [];
  try {
    for await (const message of retry.middleware(call, options) as AsyncIterable<string>) out.push(message);
    return { out, error: undefined };
  } catch (error) {
    return { out, error: error as ClientError };
  }
}

describe('retry of streaming calls', () => {
  it('replays a bidi request stream on a retry before any response', async () => {
    const { call, seen } = bidiCall(
      (attempt, got) => (attempt === 1 ? { responses: [], failAfter: Status.UNAVAILABLE } : { responses: got }),
      messages('a', 'b', 'c'),
    );
    const { out, error } = await run(call);
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
    expect(out).toEqual(['a', 'b', 'c']);
  });

  it('does not retry once a response has arrived', async () => {
    const { call, seen } = bidiCall(() => ({ responses: ['first'], failAfter: Status.UNAVAILABLE }), messages('a'));
    const { out, error } = await run(call);
    expect(out).toEqual(['first']);
    expect(error?.code).toBe(Status.UNAVAILABLE);
    expect(seen.length).toBe(1);
  });

  it('does not retry a call whose request stream outgrew what is kept for a replay', async () => {
    const { call, seen } = bidiCall(
      () => ({ responses: [], failAfter: Status.UNAVAILABLE }),
      messages('a', 'b', 'c', 'd'),
    );
    const { error } = await run(call, {}, 2);
    expect(error?.code).toBe(Status.UNAVAILABLE);
    expect(seen.length).toBe(1);
  });

  it('does not retry a method that is not idempotent unless the caller opts in', async () => {
    const script: Script = (attempt) =>
      attempt === 1 ? { responses: [], failAfter: Status.UNAVAILABLE } : { responses: ['ok'] };
    const refused = bidiCall(script, messages('a'), false);
    expect((await run(refused.call)).error?.code).toBe(Status.UNAVAILABLE);
    expect(refused.seen.length).toBe(1);
    const opted = bidiCall(script, messages('a'), false);
    expect((await run(opted.call, { retry: true } as CallOptions)).out).toEqual(['ok']);
    expect(opted.seen.length).toBe(2);
  });
});

describe('ReplayableRequests', () => {
  it('gives a newer attempt the message an older one had asked for', async () => {
    let release: (() => void) | undefined;
    async function* slow() {
      yield 'a';
      await new Promise<void>((resolve) => (release = resolve));
      yield 'b';
    }
    const requests = new ReplayableRequests(slow(), 10);
    const first = requests.attempt();
    expect((await first.next()).value).toBe('a');
    const pending = first.next(); // waits for 'b'
    const second = requests.attempt();
    expect((await second.next()).value).toBe('a');
    const secondB = second.next();
    release!();
    expect((await pending).done).toBe(true); // superseded
    expect((await secondB).value).toBe('b');
    expect((await second.next()).done).toBe(true);
    await requests.close();
  });
});
