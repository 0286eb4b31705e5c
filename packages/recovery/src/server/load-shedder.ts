import { MetadataKeys, parseOptions, partLogger, systemClock } from '@ballast/core';
import { isAbortError } from 'abort-controller-x';
import { ServerError, Status, type ServerMiddleware } from 'nice-grpc-common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { invalidRecoveryOption } from '../errors.js';
import { clockSchema, loggerSchema, registrySchema } from '../option-schemas.js';
import { isConcurrencyLimit, type ConcurrencyLimit } from './concurrency-limit.js';
import { isUnaryWork } from './is-unary-work.js';
import { VegasLimit, vegasOptionsSchema } from './vegas-limit.js';

export const loadShedderOptionsSchema = z.strictObject({
  /** Options of the adaptive VegasLimit, or a limit of your own (a FixedLimit makes a hard cap). */
  limiter: z
    .union([z.custom<ConcurrencyLimit>(isConcurrencyLimit).describe('a ConcurrencyLimit'), vegasOptionsSchema])
    .optional(),
  /** Pushback sent with a rejection; a client's retry waits at least this long. */
  pushbackMs: z.number().int().min(0).default(100),
  clock: clockSchema.default(() => systemClock),
  logger: loggerSchema.optional(),
  /** prom-client registry for `ballast_concurrency_limit` and `ballast_shed_total`; false for none. */
  registry: z.union([registrySchema, z.literal(false)]).default(false),
  /** Label value naming this server in the metrics. */
  name: z.string().min(1).default('server'),
});
export type LoadShedderOptions = z.input<typeof loadShedderOptionsSchema>;

export interface LoadShedderStats {
  limit: number;
  inFlight: number;
  accepted: number;
  rejected: number;
}

export interface LoadShedder {
  middleware: ServerMiddleware;
  stats(): LoadShedderStats;
}

/**
 * Server middleware with an adaptive concurrency limit: a call over the limit is rejected at once
 * with RESOURCE_EXHAUSTED and a `grpc-retry-pushback-ms` trailer, so an overloaded replica sheds
 * instead of queueing until every caller times out. Only unary work counts (see isUnaryWork):
 * streams and health checks pass through, neither counted nor refused.
 */
export function createLoadShedder(options: LoadShedderOptions = {}): LoadShedder {
  const o = parseOptions(loadShedderOptionsSchema, options, 'loadShedder', { error: invalidRecoveryOption });
  const limiter: ConcurrencyLimit = isConcurrencyLimit(o.limiter) ? o.limiter : new VegasLimit(o.limiter);
  const logger = partLogger('recovery', 'shedder', o.logger);
  let inFlight = 0;
  let accepted = 0;
  let rejected = 0;
  let lastLoggedLimit = limiter.limit;
  const metrics = o.registry === false ? undefined : shedderMetrics(o.registry);
  metrics?.limit.set({ server: o.name }, limiter.limit);

  const middleware: ServerMiddleware = async function* loadShedder(call, context) {
    if (!isUnaryWork(call.method)) return yield* call.next(call.request, context);
    if (inFlight >= limiter.limit) {
      rejected++;
      metrics?.shed.inc({ server: o.name });
      context.trailer.set(MetadataKeys.retryPushbackMs, String(o.pushbackMs));
      throw new ServerError(
        Status.RESOURCE_EXHAUSTED,
        limiter.refusal?.(inFlight, o.pushbackMs) ??
          `server overloaded: ${inFlight} calls in flight at limit ${limiter.limit}; retry after ${o.pushbackMs} ms or elsewhere`,
      );
    }
    inFlight++;
    accepted++;
    const inFlightAtStart = inFlight;
    const started = o.clock.now();
    let dropped = false;
    try {
      return yield* call.next(call.request, context);
    } catch (error) {
      dropped = isAbortError(error) || context.signal.aborted;
      throw error;
    } finally {
      inFlight--;
      const limit = limiter.onSample({ rttMs: o.clock.now() - started, inFlight: inFlightAtStart, dropped });
      metrics?.limit.set({ server: o.name }, limit);
      if (Math.abs(limit - lastLoggedLimit) >= Math.max(2, lastLoggedLimit * 0.2)) {
        logger.info({ from: lastLoggedLimit, to: limit, method: call.method.path }, 'concurrency limit changed');
        lastLoggedLimit = limit;
      }
    }
  };
  return { middleware, stats: () => ({ limit: limiter.limit, inFlight, accepted, rejected }) };
}

const metricsByRegistry = new WeakMap<Registry, { limit: Gauge<'server'>; shed: Counter<'server'> }>();

function shedderMetrics(registry: Registry) {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      limit: new Gauge({
        name: 'ballast_concurrency_limit',
        help: 'Adaptive concurrency limit of the load shedder',
        labelNames: ['server'],
        registers: [registry],
      }),
      shed: new Counter({
        name: 'ballast_shed_total',
        help: 'Calls rejected with RESOURCE_EXHAUSTED by the load shedder',
        labelNames: ['server'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}
