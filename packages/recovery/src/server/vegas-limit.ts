import { systemRandom } from '@ballast/core';
import { z } from 'zod';
import { parseOptions, randomSchema } from '../parse-options.js';

export const vegasOptionsSchema = z
  .object({
    initialLimit: z.number().int().min(1).default(20),
    minLimit: z.number().int().min(1).default(1),
    maxLimit: z.number().int().min(1).default(1_000),
    /** Weight of a new estimate, (0, 1]; 1 = no smoothing. */
    smoothing: z.number().gt(0).max(1).default(1),
    /** Forget the no-load RTT about every this many samples, so it can rise after a real change. */
    probeEverySamples: z.number().int().min(10).default(1_000),
    random: randomSchema.default(() => systemRandom),
  })
  .refine((o) => o.minLimit <= o.maxLimit, { message: 'minLimit must be ≤ maxLimit', path: ['minLimit'] })
  .refine((o) => o.initialLimit >= o.minLimit && o.initialLimit <= o.maxLimit, {
    message: 'initialLimit must lie in [minLimit, maxLimit]',
    path: ['initialLimit'],
  });
export type VegasOptions = z.input<typeof vegasOptionsSchema>;

const ALLOWED = {
  initialLimit: 'an integer in [minLimit, maxLimit]',
  minLimit: 'an integer ≥ 1, ≤ maxLimit',
  maxLimit: 'an integer ≥ 1',
  smoothing: 'a number in (0, 1]',
  probeEverySamples: 'an integer ≥ 10',
  random: 'a function returning [0, 1)',
};

export interface LimitSample {
  /** Time the call spent in the server, ms. */
  rttMs: number;
  /** Calls in flight when this one started (itself included). */
  inFlight: number;
  /** The call was dropped (timed out, cancelled, shed downstream): a strong overload signal. */
  dropped: boolean;
}

/**
 * TCP-Vegas-style concurrency limit, as Netflix concurrency-limits' VegasLimit: estimate the queue
 * as limit × (1 − rttNoLoad / rtt); grow while it is short, shrink when it is long or on a drop.
 * Pure: it sees only the samples it is given and the injected random source.
 */
export class VegasLimit {
  private readonly o: Readonly<z.output<typeof vegasOptionsSchema>>;
  private estimate: number;
  private rttNoLoad = 0;
  private probeCountdown: number;

  constructor(options: VegasOptions = {}) {
    this.o = parseOptions(vegasOptionsSchema, options, 'limiter', ALLOWED);
    this.estimate = this.o.initialLimit;
    this.probeCountdown = this.nextProbe();
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return Math.floor(this.estimate);
  }

  get noLoadRttMs(): number {
    return this.rttNoLoad;
  }

  onSample(sample: LimitSample): number {
    if (!(sample.rttMs >= 0) || !Number.isFinite(sample.rttMs)) return this.limit;
    if (--this.probeCountdown <= 0) {
      this.probeCountdown = this.nextProbe();
      this.rttNoLoad = sample.rttMs;
      return this.limit;
    }
    if (this.rttNoLoad === 0 || sample.rttMs < this.rttNoLoad) {
      this.rttNoLoad = Math.max(sample.rttMs, 1e-3);
      return this.limit;
    }
    const limit = this.estimate;
    const log = Math.max(1, Math.log10(limit));
    let next: number;
    if (sample.dropped) {
      next = limit - log;
    } else if (sample.inFlight * 2 < limit) {
      // Application-limited: too little traffic to learn anything about the limit.
      return this.limit;
    } else {
      const queue = Math.ceil(limit * (1 - this.rttNoLoad / sample.rttMs));
      const alpha = 3 * log;
      const beta = 6 * log;
      if (queue <= log) next = limit + beta;
      else if (queue < alpha) next = limit + log;
      else if (queue > beta) next = limit - log;
      else return this.limit;
    }
    next = Math.min(this.o.maxLimit, Math.max(this.o.minLimit, next));
    this.estimate = (1 - this.o.smoothing) * this.estimate + this.o.smoothing * next;
    return this.limit;
  }

  private nextProbe(): number {
    return Math.ceil(this.o.probeEverySamples * (1 + this.o.random()));
  }
}
