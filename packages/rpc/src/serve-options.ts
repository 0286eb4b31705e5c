import type { KvStore } from '@ballast/config';
import type { Logger, Scheduler } from '@ballast/core';
import type { ServiceImplementation } from 'nice-grpc';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import { z } from 'zod';
import type { ServerTlsOptions } from './tls.js';

/** A service definition with its implementation; build one with `service()` to get type checking. */
export interface ServiceEntry {
  readonly definition: CompatServiceDefinition;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the pairing is checked by service()
  readonly implementation: ServiceImplementation<any>;
}

/** Pairs a definition with an implementation whose types must match it. */
export function service<D extends CompatServiceDefinition>(
  definition: D,
  implementation: ServiceImplementation<D>,
): ServiceEntry {
  return { definition, implementation };
}

const loadReportsSchema = z.strictObject({ intervalMs: z.number().int().min(10).max(60_000).default(1_000) });

export const serveOptionsSchema = z.strictObject({
  services: z
    .array(z.custom<ServiceEntry>((v) => typeof v === 'object' && v !== null && 'definition' in v))
    .min(1, 'give at least one service(definition, implementation)')
    .describe('a non-empty array of service(definition, implementation)'),
  /** Registry to register this instance in (under a lease) for discovery. */
  store: z
    .custom<KvStore>((v) => typeof v === 'object' && v !== null)
    .describe('a KvStore')
    .optional(),
  tls: z
    .custom<ServerTlsOptions>((v) => typeof v === 'object' && v !== null)
    .describe('ServerTlsOptions')
    .optional(),
  logger: z
    .custom<Logger>((v) => typeof v === 'object' && v !== null)
    .describe('a pino Logger')
    .optional(),
  /** Time and timers of the drain (its delay and its bound) and of load sampling; a VirtualScheduler in tests. */
  scheduler: z
    .custom<Scheduler>((v) => typeof v === 'object' && v !== null && 'setTimeout' in v)
    .describe('a Scheduler')
    .optional(),
  /** FileDescriptorSet for reflection; defaults to every contract in proto/. */
  protoset: z.instanceof(Uint8Array).describe('a FileDescriptorSet as bytes').optional(),
  /** Name of this service: logs, metrics, and its key in the registry. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and dashes, starting with a letter'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  /** Address other processes should dial, when it differs from host:port (NAT, containers). */
  advertiseAddress: z.string().optional(),
  instanceId: z.string().min(1).optional(),
  weight: z.number().finite().nonnegative().default(1),
  /**
   * The zone this instance runs in, registered with it so zone-aware clients prefer it (default:
   * the BALLAST_ZONE environment variable; in Kubernetes set it from the node's
   * topology.kubernetes.io/zone label).
   */
  zone: z.string().trim().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.string()).default({}),
  /** Largest message accepted or sent; larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /**
   * Hard cap on unary calls in flight; beyond it they fail fast with RESOURCE_EXHAUSTED. Streams
   * and health checks are not counted (they have maxStreams / maxStreamsPerConnection).
   */
  maxConcurrentCalls: z.number().int().positive().default(1000),
  /** Streaming calls (client, server or bidi) open at once on this server; past it RESOURCE_EXHAUSTED. */
  maxStreams: z.number().int().positive().default(10_000),
  /** Streaming calls open at once from one client connection; past it RESOURCE_EXHAUSTED. */
  maxStreamsPerConnection: z.number().int().positive().default(100),
  /**
   * HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls of any kind open at once on one connection.
   * Past it the client's HTTP/2 layer holds new calls back, or the server refuses them with
   * REFUSED_STREAM (always safe to retry) before any handler runs. Default 1000, the same as
   * maxConcurrentCalls: one connection may use the whole server, no more.
   */
  http2MaxConcurrentStreams: z.number().int().positive().default(1000),
  /**
   * Idle time after which the server pings a connection, and how long it waits for the answer
   * before closing it. Finds peers that vanished without closing (a crashed host, a partition) in
   * about 80 s and frees their streams; a ping a minute per connection costs nothing. Clients may
   * ping as often as they like (every second is fine): grpc-js enforces no minimum ping interval,
   * and serve() states gRPC core's "no minimum" policy too (see the README: a Go or Python server
   * answers a Ballast client's 30 s pings with GOAWAY too_many_pings unless told otherwise).
   */
  keepaliveTimeMs: z.number().int().positive().default(60_000),
  keepaliveTimeoutMs: z.number().int().positive().default(20_000),
  /**
   * Age (±10 % jitter) after which a connection gets GOAWAY: its client reconnects, so long-lived
   * clients spread over replicas added since, and per-connection state cannot grow for ever.
   * false: no limit.
   */
  maxConnectionAgeMs: z.union([z.literal(false), z.number().int().positive()]).default(30 * 60_000),
  /**
   * After a max-age GOAWAY, how long calls and streams already open on that connection may run
   * before they are cancelled: longer than any unary deadline, short enough to bound a stream.
   */
  maxConnectionAgeGraceMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /**
   * A connection with no call open for this long is closed (GOAWAY), freeing the socket of
   * clients that connected and went quiet. A Ballast client's health checks keep its own open.
   * false: never.
   */
  maxConnectionIdleMs: z.union([z.literal(false), z.number().int().positive()]).default(5 * 60_000),
  /**
   * Rapid-reset protection: a connection that abandons (RST_STREAM before the answer) more than
   * `burst` streams at once, or more than `perSecond` sustained, is sent GOAWAY and closed; the
   * handlers of its open calls see their signal abort. Keep `burst` under nghttp2's own 1000.
   * false turns it off.
   */
  rapidReset: z
    .union([
      z.literal(false),
      z
        .object({
          burst: z.number().int().positive().max(999, 'keep it under nghttp2’s own limit of 1000'),
          perSecond: z.number().positive(),
        })
        .strict(),
    ])
    .default({ burst: 500, perSecond: 33 }),
  /**
   * Dead-connection checks: a connection with calls open that has read nothing for `intervalMs`
   * is sent a PING; one that then reads nothing for `timeoutMs` is closed and its calls cancelled,
   * so their handlers' signals abort and their places under the limits above are freed. This is
   * what ends a connection Node leaves half-dead after a malformed frame (GOAWAY sent, socket kept
   * open, calls never cancelled). The interval is longer than a Ballast client's 2 s on-silence
   * health Check, so its connections always show reads and are never pinged. false turns it off.
   */
  connectionCheck: z
    .union([
      z.literal(false),
      z
        .object({
          intervalMs: z.number().int().min(10).max(60_000).default(3_000),
          timeoutMs: z.number().int().min(10).max(300_000).default(6_000),
        })
        .strict(),
    ])
    .default({ intervalMs: 3_000, timeoutMs: 6_000 }),
  /** Adaptive concurrency limit on unary calls (load shedding); false turns it off. */
  loadShedding: z.union([z.literal(false), z.object({}).passthrough()]).default({}),
  /** Prometheus /metrics on an HTTP port bound to loopback; false turns it off. */
  metrics: z
    .union([
      z.literal(false),
      z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(0) }),
    ])
    .default({ host: '127.0.0.1', port: 0 }),
  /** Longest a graceful close waits for in-flight calls before cancelling them. */
  drainTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** Time between turning NOT_SERVING and closing the listener, so clients stop picking us first. */
  drainDelayMs: z.number().int().nonnegative().default(0),
  /** Close gracefully and exit on SIGTERM/SIGINT. */
  handleSignals: z.boolean().default(true),
  /**
   * ORCA load reports: an `endpoint-load-metrics-bin` trailer on every call and the out-of-band
   * `xds.service.orca.v3.OpenRcaService`, for weighted-by-load and any weighted_round_robin client.
   * `{ intervalMs }` sets how often the report is measured; false turns both off.
   */
  loadReports: z
    .union([z.literal(false), loadReportsSchema, z.literal(true).transform(() => loadReportsSchema.parse({}))])
    .prefault(true),
  /**
   * An OpenTelemetry span per call, under the caller's W3C trace context (default on; free until
   * an OpenTelemetry SDK registers a TracerProvider).
   */
  tracing: z.boolean().default(true),
  /** Serve gRPC server reflection (grpcurl). */
  reflection: z.boolean().default(true),
});

export type ServeOptionsInput = z.input<typeof serveOptionsSchema>;

/** serve()'s options once parsed, with their defaults. */
export type ParsedServeOptions = Readonly<z.output<typeof serveOptionsSchema>>;
