import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { decodeValue } from './decode-value.js';
import { ConfigError } from './errors.js';
import { EtcdStore } from './etcd-store.js';
import type { KvStore } from './kv-store.js';
import { checkValueSize } from './check-value-size.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Ends `watch`; default: never (Ctrl-C ends the process). */
  readonly signal?: AbortSignal;
  /** For tests: use this store instead of connecting to --endpoints. */
  readonly store?: KvStore;
}

export const USAGE = `usage: ballast-config <get|set|watch> KEY [VALUE] [options]
  get KEY                      print the value of KEY (exit 1 when absent)
  set KEY JSON                 validate JSON (and --schema), then write it with compare-and-swap
  watch KEY                    print every change of KEY (--prefix: of every key under it)
options:
  --endpoints URL[,URL]        etcd client URLs (default: ETCD_ENDPOINTS)
  --schema FILE#EXPORT         a module exporting a zod schema the value must pass
  --expect-revision N          write only if KEY's mod revision is still N (0 = must not exist)
  --prefix                     watch every key under KEY
  --timeout-ms N               startup timeout for reaching etcd (default 10000)`;

class UsageError extends Error {}

/** The ballast-config command; returns the exit code (0 ok, 1 failed, 2 bad arguments). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let store: KvStore | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        endpoints: { type: 'string' },
        schema: { type: 'string' },
        'expect-revision': { type: 'string' },
        prefix: { type: 'boolean' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const [command, key, value, ...extra] = positionals;
    if (!command || !['get', 'set', 'watch'].includes(command)) {
      throw new UsageError(`unknown command "${command ?? ''}": expected get, set or watch`);
    }
    if (!key) throw new UsageError(`${command} needs a KEY`);
    if (command === 'set' ? value === undefined || extra.length > 0 : value !== undefined) {
      throw new UsageError(
        command === 'set' ? 'set needs exactly KEY and one JSON VALUE' : `${command} takes only KEY`,
      );
    }
    const expected = values['expect-revision'];
    if (expected !== undefined && !/^\d+$/.test(expected)) {
      throw new UsageError(`--expect-revision "${expected}": expected a whole number >= 0`);
    }
    const timeout = values['timeout-ms'];
    if (timeout !== undefined && !/^\d+$/.test(timeout)) {
      throw new UsageError(`--timeout-ms "${timeout}": expected a whole number of milliseconds`);
    }
    // Everything that can be checked without etcd is checked before connecting.
    const schema = values.schema ? await loadSchema(values.schema) : undefined;
    if (command === 'set') {
      const decoded = decodeValue(value!, schema);
      if (!decoded.ok) throw new UsageError(`value for "${key}" rejected: field "${decoded.field}" ${decoded.reason}`);
      checkValueSize(key, value!);
    }
    const endpoints = (values.endpoints ?? io.env.ETCD_ENDPOINTS ?? '').split(',').filter(Boolean);
    if (!io.store && endpoints.length === 0) {
      throw new UsageError('no etcd endpoints: pass --endpoints http://host:2379 or set ETCD_ENDPOINTS');
    }
    store =
      io.store ?? (await EtcdStore.connect({ endpoints, startupTimeoutMs: timeout ? Number(timeout) : undefined }));
    if (command === 'get') return await get(store, key, io);
    if (command === 'set') return await set(store, key, value!, expected, io);
    return await watch(store, key, values.prefix ?? false, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`ballast-config: ${(err as Error).message}`);
      io.err(USAGE);
      return 2;
    }
    io.err(`ballast-config: ${err instanceof ConfigError ? `${err.code}: ` : ''}${(err as Error).message}`);
    return 1;
  } finally {
    if (store && store !== io.store) await store.close();
  }
}

async function get(store: KvStore, key: string, io: CliIo): Promise<number> {
  const { kv } = await store.get(key);
  if (!kv) {
    io.err(`ballast-config: "${key}" is not set`);
    return 1;
  }
  io.out(kv.value);
  io.err(`revision ${kv.modRevision}`);
  return 0;
}

async function set(store: KvStore, key: string, value: string, expected: string | undefined, io: CliIo) {
  // Without --expect-revision, compare against what was just read: never overwrite a write we did not see.
  const revision = expected !== undefined ? Number(expected) : ((await store.get(key)).kv?.modRevision ?? 0);
  const result = await store.txn({
    compare: [{ key, target: 'modRevision', op: '==', value: revision }],
    success: [{ type: 'put', key, value }],
  });
  if (!result.succeeded) {
    io.err(`ballast-config: "${key}" changed since revision ${revision}: read it again and retry`);
    return 1;
  }
  io.out(`ok revision ${result.revision}`);
  return 0;
}

async function watch(store: KvStore, key: string, prefix: boolean, io: CliIo): Promise<number> {
  const handle = await store.watch(
    { key, prefix },
    {
      onEvents: (batch) => {
        for (const e of batch.events) {
          io.out(
            e.type === 'put' ? `${batch.revision} put ${e.kv.key} ${e.kv.value}` : `${batch.revision} delete ${e.key}`,
          );
        }
      },
      onCompacted: (revision) => io.err(`ballast-config: history before ${revision} was compacted`),
    },
  );
  io.err(`watching ${key}${prefix ? ' (prefix)' : ''}`);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener('abort', () => resolve());
  });
  await handle.close();
  return 0;
}

async function loadSchema(spec: string): Promise<z.ZodType<unknown>> {
  const [file, name = 'default'] = spec.split('#');
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file!).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--schema "${spec}": cannot load ${file}: ${(err as Error).message}`);
  }
  const schema = module[name] as { safeParse?: unknown } | undefined;
  if (typeof schema?.safeParse !== 'function') {
    throw new UsageError(`--schema "${spec}": ${file} has no zod schema export "${name}"`);
  }
  return schema as z.ZodType<unknown>;
}
