import { partLogger, type Logger, type Scheduler } from '@ballast/core';
import { Counter, register as defaultRegistry, type Registry } from 'prom-client';
import type { z } from 'zod';
import { ConfigValue } from './config-value.js';
import { checkValue } from './decode-value.js';
import { DEFAULT_MAX_CONFIG_BYTES, decodeConfig, sizeProblem } from './decode-config.js';
import { ConflictError, InvalidOptionError, InvalidValueError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { Mirror } from './mirror.js';

export interface LiveConfigOptions {
  readonly logger?: Logger;
  /** Where ballast_config_rejected_total is registered; default prom-client's global registry. */
  readonly registry?: Registry;
  /** Largest value, as JSON text in bytes, that is applied or written; default 64 KiB. */
  readonly maxValueBytes?: number;
  /** Where a watched value's mirror waits between re-reads after compaction; default real time. */
  readonly scheduler?: Scheduler;
}

const counters = new WeakMap<Registry, Counter<'key'>>();

function rejectedCounter(registry: Registry): Counter<'key'> {
  let counter = counters.get(registry);
  if (!counter) {
    const existing = registry.getSingleMetric('ballast_config_rejected_total') as Counter<'key'> | undefined;
    counter =
      existing ??
      new Counter({
        name: 'ballast_config_rejected_total',
        help: 'Config values rejected (bad JSON or schema failure) and not applied, by key.',
        labelNames: ['key'],
        registers: [registry],
      });
    counters.set(registry, counter);
  }
  return counter;
}

/**
 * Typed live config on a KvStore: values are JSON, checked on read and on write by a zod schema,
 * strictly (a key the schema does not know is an error naming it) and against a size limit.
 */
export class LiveConfig {
  readonly #logger: Logger;
  readonly #parentLogger: Logger | undefined;
  readonly #rejected: Counter<'key'>;
  readonly #maxValueBytes: number;
  readonly #scheduler: Scheduler | undefined;

  constructor(
    private readonly store: KvStore,
    options: LiveConfigOptions = {},
  ) {
    const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_CONFIG_BYTES;
    if (!Number.isInteger(maxValueBytes) || maxValueBytes <= 0) {
      throw new InvalidOptionError(
        'maxValueBytes',
        `expected a positive integer number of bytes, got ${maxValueBytes}`,
      );
    }
    this.#maxValueBytes = maxValueBytes;
    this.#parentLogger = options.logger;
    this.#scheduler = options.scheduler;
    this.#logger = partLogger('config', 'live-config', options.logger);
    this.#rejected = rejectedCounter(options.registry ?? defaultRegistry);
  }

  /** Follows `key`: resolves with the current valid value (or the default) and then tracks changes. */
  async watch<T>(key: string, schema: z.ZodType<T>, options: { default: T }): Promise<ConfigValue<T>> {
    const mirror = await Mirror.start(this.store, key, {
      prefix: false,
      logger: this.#parentLogger,
      scheduler: this.#scheduler,
    });
    return new ConfigValue(key, schema, options.default, mirror, this.#logger, this.#rejected, this.#maxValueBytes);
  }

  /** Reads and validates the current value; undefined when the key is absent. Throws InvalidValueError. */
  async get<T>(key: string, schema: z.ZodType<T>): Promise<{ value: T; revision: number } | undefined> {
    const { kv } = await this.store.get(key);
    if (!kv) return undefined;
    const decoded = decodeConfig(kv.value, schema, this.#maxValueBytes);
    if (!decoded.ok) throw new InvalidValueError(key, decoded.field, decoded.reason);
    return { value: decoded.value, revision: kv.modRevision };
  }

  /**
   * Validates, then writes with compare-and-swap: succeeds only if the key's mod revision is still
   * `expectedRevision` (0 = the key must not exist). Throws InvalidValueError or ConflictError.
   */
  async set<T>(key: string, schema: z.ZodType<T>, value: T, expectedRevision: number): Promise<number> {
    const checked = checkValue(value, schema, { strict: true });
    if (!checked.ok) throw new InvalidValueError(key, checked.field, checked.reason);
    const text = JSON.stringify(checked.value);
    const tooLarge = sizeProblem(text, this.#maxValueBytes);
    if (tooLarge) throw new InvalidValueError(key, tooLarge.field, tooLarge.reason);
    const result = await this.store.txn({
      compare: [{ key, target: 'modRevision', op: '==', value: expectedRevision }],
      success: [{ type: 'put', key, value: text }],
    });
    if (!result.succeeded) throw new ConflictError(key, expectedRevision);
    return result.revision;
  }

  /** Read-modify-write with compare-and-swap, retried on conflict (at most `attempts` times). */
  async update<T>(key: string, schema: z.ZodType<T>, edit: (current: T | undefined) => T, attempts = 10): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(key, schema);
      const next = edit(current?.value);
      try {
        await this.set(key, schema, next, current?.revision ?? 0);
        return next;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= attempts) throw err;
      }
    }
  }
}
