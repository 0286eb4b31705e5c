import { readFile } from 'node:fs/promises';
import { LiveConfig, MemoryStore } from '@ballast/config';
import { EchoServiceDefinition } from '@ballast/stubs/ballast/testing/v1/echo';
import { createEchoService, defaultBehaviour } from '@ballast/testing';
import { ClientError, Status } from 'nice-grpc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { connect, disconnect, serve, service } from '../src/index.js';

const deploy = new URL('../../../deploy/', import.meta.url);
/** Labels Prometheus adds at scrape time (prometheus.yml's relabelling), not the process. */
const SCRAPE_LABELS = new Set(['job', 'instance', 'pod', 'service']);

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition. */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of match[2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) {
      labels[key!] = value!;
    }
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

/** What one PromQL expression reads: series names and the labels it groups or matches by. */
interface ExpressionUse {
  readonly where: string;
  readonly names: string[];
  readonly labels: string[];
}

function use(where: string, expr: string): ExpressionUse {
  // Series names are what is left once grouping clauses and label matchers are taken out.
  const bare = expr.replace(/\bby \([^)]*\)/g, '').replace(/\{[^}]*\}/g, '');
  const names = [...new Set(bare.match(/\b(?:ballast|grpc)_[a-z_]+\b/g) ?? [])];
  const labels = new Set<string>();
  for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) for (const l of list!.split(',')) labels.add(l.trim());
  for (const [, list] of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const [, l] of list!.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)) labels.add(l!);
  }
  return { where, names, labels: [...labels].filter((l) => !SCRAPE_LABELS.has(l)) };
}

/** Every expression of the shipped alert rules and dashboard panels. */
async function shippedExpressions(): Promise<ExpressionUse[]> {
  const rules = await readFile(new URL('prometheus/alerts.yml', deploy), 'utf8');
  const uses: ExpressionUse[] = [];
  // Each rule's expr runs from `expr:` to its `for:` or `labels:` line (some are folded scalars).
  for (const [, alert, expr] of rules.matchAll(
    /- alert: (\w+)\n(?:\s+#.*\n)*\s+expr: (?:>-)?([\s\S]*?)\n\s+(?:for|labels):/g,
  )) {
    uses.push(use(`alert ${alert}`, expr!));
  }
  const dashboard = JSON.parse(await readFile(new URL('grafana/ballast-shop.json', deploy), 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) uses.push(use(`panel "${panel.title}"`, target.expr));
  }
  return uses;
}

describe('every series an alert or dashboard panel reads is on a serve() replica’s /metrics', () => {
  it('after the replica shed a call, rejected a config value, opened a breaker and ejected an endpoint', async () => {
    const uses = await shippedExpressions();
    expect(uses.filter((u) => u.where.startsWith('alert'))).toHaveLength(8);

    // The replica: like a shop orders replica, it serves, holds clients, and watches live config.
    const behaviour = defaultBehaviour();
    const handle = await serve({
      name: 'orders',
      services: [service(EchoServiceDefinition, createEchoService('r1', behaviour, { echo: 0, write: 0, count: 0 }))],
      handleSignals: false,
      // A limit of one call in flight, so a second concurrent call is shed.
      loadShedding: { limiter: { initialLimit: 1, minLimit: 1, maxLimit: 1 } },
    });
    cleanup.push(() => handle.close());
    expect(handle.metricsUrl).toBeDefined();

    const store = new MemoryStore();
    cleanup.push(() => store.close());
    const live = new LiveConfig(store);
    const key = `alert-series/${handle.instanceId}`;
    const config = await live.watch(key, z.object({ delayMs: z.number() }).strict(), { default: { delayMs: 0 } });
    cleanup.push(() => config.close());
    const rejected = new Promise<void>((resolve) => config.onReject(() => resolve()));
    await store.put(key, '{"delayMS":400}');
    await rejected;

    const client = connect(EchoServiceDefinition, {
      endpoints: [{ id: handle.instanceId, address: handle.address }],
      retry: false,
      healthCheck: { intervalMs: 50 },
      circuitBreaker: { breaker: { policy: { type: 'consecutive', failures: 6 }, openMs: 60_000 } },
      outlierDetection: { intervalMs: 50, maxEjectionPercent: 100 },
    });
    cleanup.push(() => disconnect(client));
    await client.echo({ message: 'ok' });

    // Shed: two calls at once against a limit of one.
    const both = await Promise.allSettled([
      client.echo({ message: 'slow', delayMs: 200 }),
      client.echo({ message: 'b' }),
    ]);
    expect(both.map((r) => (r.status === 'rejected' ? (r.reason as ClientError).code : Status.OK))).toContain(
      Status.RESOURCE_EXHAUSTED,
    );
    // The same count the handle gives in process (the shop's dashboard reads it per replica).
    expect(handle.shedding()).toMatchObject({ limit: 1, rejected: 1 });

    // Failing calls get the endpoint ejected (5 in a row) and open the method breaker (6 in a row).
    behaviour.failRate = 1;
    for (let i = 0; i < 8; i++) await client.echo({ message: 'fail' }).catch(() => undefined);
    const scrape = async () => samples(await (await fetch(handle.metricsUrl!)).text());
    let exported = await scrape();
    await vi.waitFor(
      async () => {
        exported = await scrape();
        expect(exported.some((s) => s.name === 'ballast_endpoint_ejections_total')).toBe(true);
      },
      { timeout: 5_000, interval: 50 },
    );

    const one = (name: string, labels: Record<string, string>) =>
      exported.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(one('ballast_shed_total', { server: 'orders' })?.value).toBeGreaterThanOrEqual(1);
    expect(one('ballast_concurrency_limit', { server: 'orders' })?.value).toBe(1);
    expect(one('ballast_config_rejected_total', { key })?.value).toBe(1);
    expect(one('ballast_breaker_state', { breaker: '/ballast.testing.v1.EchoService/Echo' })?.value).toBe(2);
    expect(one('ballast_endpoint_ejections_total', { endpoint: handle.instanceId })?.value).toBeGreaterThanOrEqual(1);
    expect(
      one('grpc_server_handled_total', { grpc_method: 'Echo', grpc_code: 'RESOURCE_EXHAUSTED' })?.value,
    ).toBeGreaterThanOrEqual(1);

    // And every name and label the rules and panels read.
    const missing: string[] = [];
    for (const u of uses) {
      for (const name of u.names) {
        const series = exported.filter((s) => s.name === name);
        if (!series.length) missing.push(`${u.where}: no ${name}`);
        for (const label of u.labels) {
          if (!series.some((s) => label in s.labels)) missing.push(`${u.where}: ${name} has no label ${label}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
