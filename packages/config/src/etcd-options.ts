import { z } from 'zod';
import { parseOptions, schedulerSchema } from '@ballast/core';
import { invalidConfigOption } from './errors.js';
import { MAX_REQUEST_BYTES } from './check-value-size.js';

const pem = z.union([z.string().min(1), z.instanceof(Buffer)]);

const schema = z.strictObject({
  /** Client URLs of the etcd members, e.g. http://127.0.0.1:2379. */
  endpoints: z.array(z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'expected http(s)://host:port')).min(1),
  /** etcd user; passed to etcd3 as `auth`. */
  auth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
  /** PEM contents (string or Buffer) for TLS; endpoints should then be https://. */
  tls: z.strictObject({ ca: pem, cert: pem.optional(), key: pem.optional() }).optional(),
  /** Deadline of every non-stream call: bounds the stall when the member a call went to dies. */
  callTimeoutMs: z.number().int().min(100).max(60_000).default(1000),
  /** How long connect() keeps retrying an unreachable cluster before StoreUnavailableError. */
  startupTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
  /**
   * After a member fails three calls in a row, etcd3 skips it for this long (its default is 5 s,
   * which keeps a restarted cluster unusable for seconds after it is back).
   */
  memberRetryMs: z.number().int().min(100).max(60_000).default(1000),
  /** How often each watch checks that it is not silently stuck (etcd3 #72, #78). */
  watchCheckIntervalMs: z.number().int().min(50).max(60_000).default(1000),
  /** Puts larger than this are rejected before they are sent (etcd's --max-request-bytes). */
  maxRequestBytes: z.number().int().min(1024).default(MAX_REQUEST_BYTES),
  /**
   * Time and timers of connect()'s retries, the keepalive answer bound and each watch's start bound,
   * check interval and reopen backoff; a VirtualScheduler in tests. Default: real time.
   */
  scheduler: schedulerSchema.optional(),
});

export type EtcdStoreOptions = z.input<typeof schema>;
export type EtcdStoreConfig = Readonly<z.output<typeof schema>>;

/** Parses options into an immutable value; a bad field throws InvalidOptionError naming it. */
export function parseEtcdStoreOptions(options: EtcdStoreOptions): EtcdStoreConfig {
  return parseOptions(schema, options, 'EtcdStore', { error: invalidConfigOption });
}
