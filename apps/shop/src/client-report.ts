import { connection } from '@ballast/rpc';
import type { ShopServiceName } from './shop-clients.js';

/** One endpoint as one caller's connect() client sees it. */
export interface EndpointReport {
  readonly id: string;
  readonly replica: string;
  /** Attempts this client sent to it since it appeared (a counter: rates come from two reports). */
  readonly picks: number;
  readonly inFlight: number;
  /** The detector's verdict: up, down or ejected. */
  readonly state: string;
  readonly reason: string;
}

/** What one caller's client of one service knows: its endpoints, breakers, retry budget, hedges. */
export interface ClientReport {
  readonly service: ShopServiceName;
  readonly endpoints: readonly EndpointReport[];
  readonly breakers: readonly { readonly name: string; readonly state: string }[];
  readonly budget: { readonly firstAttempts: number; readonly retries: number; readonly refused: number } | null;
  readonly hedges: { readonly calls: number; readonly hedges: number; readonly hedgeWins: number } | null;
}

/**
 * Reads a connect() client's own introspection (the balanced channels' endpoint stats, the
 * detector's states, the breakers, the retry budget, hedging): nothing is counted twice.
 */
export function clientReport(service: ShopServiceName, client: object): ClientReport | undefined {
  const conn = connection(client);
  if (!conn) return undefined;
  const verdicts = new Map((conn.detector?.states() ?? []).map((s) => [s.endpoint.id, s.state]));
  const byId = new Map<string, { picks: number; inFlight: number }>();
  for (const channel of conn.channels) {
    for (const stat of channel.stats()) {
      const sum = byId.get(stat.id) ?? { picks: 0, inFlight: 0 };
      byId.set(stat.id, { picks: sum.picks + stat.picks, inFlight: sum.inFlight + stat.inFlight });
    }
  }
  const ids = new Set([...verdicts.keys(), ...byId.keys()]);
  const endpoints = [...ids].map((id): EndpointReport => {
    const verdict = verdicts.get(id);
    return {
      id,
      replica: replicaOf(id),
      picks: byId.get(id)?.picks ?? 0,
      inFlight: byId.get(id)?.inFlight ?? 0,
      state: verdict?.type ?? 'up',
      reason: verdict && verdict.type !== 'up' ? verdict.reason : '',
    };
  });
  const budget = conn.retry?.budget?.stats();
  const hedging = conn.hedging?.stats();
  return {
    service,
    endpoints,
    breakers: (conn.breakers?.breakers() ?? []).map((b) => ({ name: b.name, state: b.state.type })),
    budget: budget ? { firstAttempts: budget.firstAttempts, retries: budget.retries, refused: budget.refused } : null,
    hedges: hedging ? { calls: hedging.calls, hedges: hedging.hedges, hedgeWins: hedging.hedgeWins } : null,
  };
}

/** Endpoint ids are `<replica>.<incarnation>` (see startReplica). */
export function replicaOf(endpointId: string): string {
  const dot = endpointId.indexOf('.');
  return dot < 0 ? endpointId : endpointId.slice(0, dot);
}
