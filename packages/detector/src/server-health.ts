import type { Disposer, Logger } from '@ballast/core';
import { Emitter, partLogger } from '@ballast/core';
import { HealthServiceImpl, HealthState } from 'nice-grpc-server-health';

/** grpc.health.v1 service names for the two probes (Kubernetes: `grpc: { port, service: liveness }`). */
export const LIVENESS_SERVICE = 'liveness';
export const READINESS_SERVICE = 'readiness';

/** Whether this server should get traffic now; the reasons say why not. */
export type Readiness =
  | { readonly type: 'ready' }
  | { readonly type: 'not-ready'; readonly draining: boolean; readonly dependenciesDown: readonly string[] };

export interface ServerHealthOptions {
  /** Fully-qualified services served (e.g. EchoServiceDefinition.fullName); each reports SERVING while ready. */
  readonly services?: readonly string[];
  readonly logger?: Logger;
}

export interface ServerHealth {
  /** The nice-grpc-server-health state behind the service (for code that already uses it). */
  readonly state: HealthState;
  /** Pass to `server.add(HealthDefinition, health.implementation)`. */
  readonly implementation: ReturnType<typeof HealthServiceImpl>;
  /** Marks a dependency (database, downstream service) up or down; any down one makes readiness NOT_SERVING. */
  setDependency(name: string, up: boolean): void;
  /** Takes one served service out (false) or back in (true) on its own. */
  setServiceEnabled(service: string, enabled: boolean): void;
  /** Readiness goes NOT_SERVING for good: clients stop sending while in-flight calls finish. */
  startDraining(): void;
  readiness(): Readiness;
  onReadinessChange(listener: (readiness: Readiness) => void): Disposer;
}

/**
 * Liveness vs readiness on one grpc.health.v1 service. Liveness (`liveness`) is SERVING while the
 * process answers at all: restarting a process because a dependency is down would not help.
 * Readiness (the overall '' status, `readiness`, and every served service) is SERVING only while
 * not draining and every dependency is up: the detector and load balancers then route elsewhere.
 */
export function createServerHealth(options: ServerHealthOptions = {}): ServerHealth {
  const logger = partLogger('detector', 'server-health', options.logger);
  const state = HealthState();
  // Every Watch stream (one per connected client) listens on this emitter; their number is bounded
  // by the server's stream limits, not by Node's leak heuristic of 10.
  state.setMaxListeners(0);
  const services = new Map<string, boolean>((options.services ?? []).map((s) => [s, true]));
  const dependencies = new Map<string, boolean>();
  const listeners = new Emitter<Readiness>('readiness change', logger);
  let draining = false;
  let current: Readiness = { type: 'ready' };

  const compute = (): Readiness => {
    const dependenciesDown = [...dependencies].filter(([, up]) => !up).map(([name]) => name);
    return !draining && dependenciesDown.length === 0
      ? { type: 'ready' }
      : { type: 'not-ready', draining, dependenciesDown };
  };

  const apply = () => {
    const next = compute();
    const ready = next.type === 'ready';
    state.setStatus('healthy', LIVENESS_SERVICE);
    state.setStatus(ready ? 'healthy' : 'unhealthy');
    state.setStatus(ready ? 'healthy' : 'unhealthy', READINESS_SERVICE);
    for (const [service, enabled] of services) state.setStatus(ready && enabled ? 'healthy' : 'unhealthy', service);
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    current = next;
    if (next.type === 'ready') logger.info('readiness: SERVING');
    else logger.warn({ draining: next.draining, dependenciesDown: next.dependenciesDown }, 'readiness: NOT_SERVING');
    listeners.emit(next);
  };
  apply();

  return {
    state,
    implementation: HealthServiceImpl(state),
    setDependency(name, up) {
      dependencies.set(name, up);
      apply();
    },
    setServiceEnabled(service, enabled) {
      services.set(service, enabled);
      apply();
    },
    startDraining() {
      draining = true;
      apply();
    },
    readiness: () => current,
    onReadinessChange(listener) {
      return listeners.on(listener);
    },
  };
}
