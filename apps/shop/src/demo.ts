import { parseArgs } from 'node:util';
import { createLogger } from '@ballast/core';
import { findEtcd, startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { formatSummary, runChaos } from './chaos.js';
import { startEmbeddedCluster } from './embedded-cluster.js';
import { ShopUsageError } from './errors.js';
import { startGateway, type Gateway } from './gateway.js';
import { seedStock } from './inventory-service.js';
import { uniformStock } from './order-workload.js';
import { startProcessCluster } from './process-cluster.js';
import { waitForShop, type ShopCluster } from './shop-cluster.js';

export const DEMO_USAGE = `usage: npm run demo -- [options]
  (no option)        start the shop and print the dashboard URL; Ctrl-C stops everything
  --chaos            run the scripted chaos scenario, print its summary and exit
  --embedded         run in one process on MemoryStore even when etcd is installed
  --port N           dashboard/API port (default 8080; 0 = any free port)
  --orders N         orders the chaos scenario places (default 300)
  -h, --help         this text
environment: ETCD_ENDPOINTS=URL[,URL] uses that etcd cluster instead of starting one`;

/** How long the replicas may take to serve before the launcher gives up. */
const READY_TIMEOUT_MS = 120_000;

export interface DemoOptions {
  readonly chaos: boolean;
  readonly embedded: boolean;
  readonly port: number;
  readonly orders: number;
  readonly help: boolean;
}

/** Parses the launcher's arguments; a bad one throws ShopUsageError naming it. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        chaos: { type: 'boolean', default: false },
        embedded: { type: 'boolean', default: false },
        port: { type: 'string', default: '8080' },
        orders: { type: 'string', default: '300' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new ShopUsageError((error as Error).message);
  }
  const port = integer('--port', values.port, 0, 65535);
  const orders = integer('--orders', values.orders, 1, 100_000);
  return { chaos: values.chaos, embedded: values.embedded, port, orders, help: values.help };
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new ShopUsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

export interface DemoIo {
  out(line: string): void;
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user asks to stop (Ctrl-C). */
  readonly stopRequested: Promise<void>;
}

/** The launcher: returns the exit code (0 ok, 1 failed or invariants broken, 2 bad arguments). */
export async function runDemo(argv: readonly string[], io: DemoIo): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n${DEMO_USAGE}`);
    return 2;
  }
  if (options.help) {
    io.out(DEMO_USAGE);
    return 0;
  }
  const logger = createLogger('shop.demo');
  let etcd: EtcdCluster | undefined;
  let cluster: ShopCluster | undefined;
  let gateway: Gateway | undefined;
  try {
    const given = io.env.ETCD_ENDPOINTS?.split(',').filter(Boolean) ?? [];
    let endpoints: string[] | undefined = given.length > 0 ? given : undefined;
    if (!endpoints && !options.embedded) {
      try {
        findEtcd(io.env as NodeJS.ProcessEnv);
        io.out('starting a 3-member etcd cluster on loopback…');
        etcd = await startEtcdCluster({ members: 3 });
        endpoints = etcd.endpoints;
      } catch (error) {
        if (etcd) throw error;
        io.out(
          'etcd not found: running embedded in one process on MemoryStore ' +
            '(for the multi-process mode install it: sudo apt-get install -y etcd-server, or set ETCD_ENDPOINTS)',
        );
      }
    }
    const stock = uniformStock(options.chaos ? 60 : 5000);
    if (endpoints) {
      io.out(`etcd at ${endpoints.join(', ')}; starting every replica as its own process under the supervisor…`);
      cluster = await startProcessCluster({ endpoints, etcdCluster: etcd, logger });
    } else {
      cluster = await startEmbeddedCluster({ logger });
    }
    await seedStock(cluster.store, stock);
    gateway = await startGateway({ cluster, port: options.port, logger });
    io.out(`shop dashboard: ${gateway.url}  (API: ${gateway.url}api/products)`);
    // The page says "starting: n of 8 replicas serving" meanwhile; the API answers once this prints.
    const started = performance.now();
    io.out('starting the replicas…');
    await gateway.whenServing(READY_TIMEOUT_MS);
    io.out(`ready: every replica serving (${((performance.now() - started) / 1000).toFixed(1)} s)`);

    if (options.chaos) {
      await waitForShop(cluster, 60_000);
      io.out('running the chaos scenario…');
      const summary = await runChaos({
        cluster,
        clients: gateway.clients,
        orders: options.orders,
        log: io.out,
        logger,
      });
      io.out(formatSummary(summary));
      return summary.duplicated === 0 && summary.oversold === 0 && summary.unbalancedSkus === 0 ? 0 : 1;
    }
    io.out('press Ctrl-C to stop');
    await io.stopRequested;
    io.out('stopping…');
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.err(`port ${options.port} is in use: pass --port N (0 = any free port)`);
      return 2;
    }
    io.err(`the demo failed: ${(error as Error).message}`);
    return 1;
  } finally {
    // The supervisor stops first: Ctrl-C reaches the replicas too, and none may be restarted now.
    await cluster?.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
  }
}
