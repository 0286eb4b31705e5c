import { Emitter, type Disposer, type Logger } from '@ballast/core';
import type { Counter } from 'prom-client';
import type { z } from 'zod';
import { decodeConfig } from './decode-config.js';
import type { KeyValue } from './kv-store.js';
import type { Mirror } from './mirror.js';

export interface ConfigChange<T> {
  readonly value: T;
  readonly previous: T;
  /** Mod revision of the applied value; 0 when the key is absent and the default applies. */
  readonly revision: number;
}

export interface ConfigRejection {
  readonly key: string;
  /**
   * Dotted path of the failing (or unknown) field, "(json)" for unparsable text, "(size)" for a
   * value over the size limit, "(root)" for the whole value.
   */
  readonly field: string;
  readonly reason: string;
  readonly revision: number;
}

/**
 * One typed config key, live: `value` is always the last value that passed the schema strictly and
 * the size limit (or the default). Invalid values are never applied: they are an onReject event, a warning naming key and
 * field, and a count on ballast_config_rejected_total.
 */
export class ConfigValue<T> {
  #value: T;
  #revision = 0;
  readonly #changes: Emitter<ConfigChange<T>>;
  readonly #rejects: Emitter<ConfigRejection>;

  /** @internal created by LiveConfig.watch */
  constructor(
    readonly key: string,
    private readonly schema: z.ZodType<T>,
    private readonly fallback: T,
    private readonly mirror: Mirror,
    private readonly logger: Logger,
    private readonly rejected: Counter<'key'>,
    private readonly maxValueBytes: number,
  ) {
    this.#changes = new Emitter('config change', logger);
    this.#rejects = new Emitter('config rejection', logger);
    this.#value = fallback;
    this.#take(mirror.kvs.get(key));
    mirror.onChange(() => this.#take(mirror.kvs.get(key)));
  }

  get value(): T {
    return this.#value;
  }

  /** Mod revision of the current value (0 = default); pass it to LiveConfig.set as expectedRevision. */
  get revision(): number {
    return this.#revision;
  }

  onChange(listener: (change: ConfigChange<T>) => void): Disposer {
    return this.#changes.on(listener);
  }

  onReject(listener: (rejection: ConfigRejection) => void): Disposer {
    return this.#rejects.on(listener);
  }

  async close(): Promise<void> {
    this.#changes.clear();
    this.#rejects.clear();
    await this.mirror.close();
  }

  #take(kv: KeyValue | undefined): void {
    if (!kv) {
      if (this.#revision !== 0) this.#apply(this.fallback, 0, 'key deleted; default applies');
      return;
    }
    if (kv.modRevision === this.#revision) return;
    const decoded = decodeConfig(kv.value, this.schema, this.maxValueBytes);
    if (!decoded.ok) {
      const rejection = { key: this.key, field: decoded.field, reason: decoded.reason, revision: kv.modRevision };
      this.rejected.inc({ key: this.key });
      this.logger.warn(rejection, `config "${this.key}" rejected: field "${decoded.field}" ${decoded.reason}`);
      this.#rejects.emit(rejection);
      return;
    }
    this.#apply(decoded.value, kv.modRevision, 'new value');
  }

  #apply(value: T, revision: number, reason: string): void {
    const previous = this.#value;
    this.#value = value;
    this.#revision = revision;
    this.logger.info({ key: this.key, revision, reason }, 'config applied');
    this.#changes.emit({ value, previous, revision });
  }
}
