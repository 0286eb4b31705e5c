import { spread, type BenchRecord, type Scenario } from '@ballast/bench-kit';
import { createLogger } from '@ballast/core';
import { EchoServiceDefinition, type ChatRequest } from '@ballast/stubs/ballast/testing/v1/echo';
import { spawnEchoReplica } from '@ballast/testing';
import { createChannel, createClient } from 'nice-grpc';
import { connect, disconnect } from '../src/index.js';
import { driveCalls, runFigures, summary, type Echo } from './overhead.js';

const VARIANTS = ['plain', 'connect'] as const;
type Variant = (typeof VARIANTS)[number];
/** Responses per server-streaming call, and requests (each answered) per bidi call. */
const STREAM_MESSAGES = 10;
const CHAT_MESSAGES = 4;

/** One whole streaming call of each kind, read to its end. */
const CALLS = {
  'server-stream': async (client: Echo) => {
    for await (const _ of client.count({ count: STREAM_MESSAGES })) void _;
  },
  bidi: async (client: Echo) => {
    for await (const _ of client.chat(chatRequests())) void _;
  },
} as const;
type CallKind = keyof typeof CALLS;

async function* chatRequests(): AsyncIterable<ChatRequest> {
  for (let i = 0; i < CHAT_MESSAGES; i++) yield { message: `overhead ${i}` };
}

/**
 * What streaming calls cost through connect(): its balanced streams (a pick per attempt, the
 * call's context on the channel) and its streaming retry (request replay kept until the first
 * response), beside plain nice-grpc on one channel to the same server, in the same rounds.
 */
export const scenario: Scenario = {
  name: 'overhead-streams',
  description: `server-streaming (${STREAM_MESSAGES} responses) and bidi (${CHAT_MESSAGES} requests, ${CHAT_MESSAGES} responses) calls: plain nice-grpc on one channel vs connect() with its default stack, same server, same run`,
  async run({ quick, progress, signal }) {
    const runs = quick ? 1 : 7;
    const durationMs = quick ? 1_000 : 3_000;
    const levels = [64, 1];
    const server = await spawnEchoReplica('overhead-streams');
    const channel = createChannel(server.address);
    const logger = createLogger('overhead-streams');
    logger.level = 'warn'; // the client's lifecycle logs would drown the table
    const clients: Record<Variant, Echo> = {
      plain: createClient(EchoServiceDefinition, channel),
      connect: connect(EchoServiceDefinition, { endpoints: [server.address], tracing: false, logger }),
    };
    const results: BenchRecord[] = [];
    try {
      for (const kind of Object.keys(CALLS) as CallKind[]) {
        const call = CALLS[kind];
        for (const variant of VARIANTS) await driveCalls(() => call(clients[variant]), 8, 300, signal);
        for (const concurrency of levels) {
          const samples: Record<Variant, ReturnType<typeof summary>[]> = { plain: [], connect: [] };
          for (let run = 0; run < runs && !signal.aborted; run++) {
            // Alternate which goes first so drift on a shared machine hits both alike.
            const order = run % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
            for (const variant of order) {
              progress(`${kind}, concurrency ${concurrency}, run ${run + 1}/${runs}, ${variant}`);
              const r = await driveCalls(() => call(clients[variant]), concurrency, durationMs, signal);
              samples[variant].push(summary(r));
            }
          }
          for (const variant of VARIANTS) {
            const s = samples[variant];
            results.push({
              variant,
              call: kind,
              concurrency,
              ...runFigures(s),
            });
          }
          // Each connect() run paired with the plain run of the same round.
          const plain = samples.plain;
          results.push({
            variant: 'connect',
            call: kind,
            concurrency,
            ...spread(
              'ratio',
              samples.connect.map((x, i) => x.callsPerS / plain[i]!.callsPerS),
            ),
            ...spread(
              'added_p50_us',
              samples.connect.map((x, i) => (x.p50 - plain[i]!.p50) * 1000),
              0,
            ),
            ...spread(
              'added_cpu_us_per_call',
              samples.connect.map((x, i) => x.cpuUsPerCall - plain[i]!.cpuUsPerCall),
              1,
            ),
          });
        }
      }
    } finally {
      await disconnect(clients.connect);
      channel.close();
      await server.stop();
    }
    return {
      params: {
        runs,
        durationS: durationMs / 1000,
        concurrency: levels,
        messages: { 'server-stream': STREAM_MESSAGES, bidi: CHAT_MESSAGES },
        server: 'one echo replica, child process on loopback',
      },
      results,
      anchors: [
        'plain nice-grpc on one channel, same server, same run = 1.0; a call is counted once its stream has been read to the end',
        'connect = tracing: false, every other default on (balanced streams, streaming retry, deadline, metrics, breaker, detector)',
      ],
    };
  },
};
