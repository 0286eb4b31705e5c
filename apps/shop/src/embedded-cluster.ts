import { MemoryStore, type KvStore } from '@ballast/config';
import { createLogger, Emitter, parseOptions, type Disposer, type Logger } from '@ballast/core';
import { z } from 'zod';
import { ShopOptionsError, UnknownReplicaError, UnsupportedActionError } from './errors.js';
import { startReplica, type Replica } from './replica.js';
import type { ShopServiceName } from './shop-clients.js';
import {
  DEFAULT_LAYOUT,
  replicaNames,
  setReplicaDelay,
  type ProcessState,
  type ReplicaEvent,
  type ReplicaStatus,
  type ShopCluster,
} from './shop-cluster.js';

/** An in-process "freeze": every shop call hangs this long, past any caller's deadline. */
const FROZEN_DELAY_MS = 30_000;

interface Slot {
  readonly name: string;
  readonly service: ShopServiceName;
  replica?: Replica;
  state: ProcessState;
  restarts: number;
  timer?: NodeJS.Timeout;
}

const count = z.number().int().min(1).max(10);
const embeddedOptionsSchema = z.object({
  layout: z.object({ catalog: count, inventory: count, orders: count, payments: count }).optional(),
  restartDelayMs: z.number().int().min(0).max(3_600_000).default(1500),
});

export interface EmbeddedClusterOptions {
  store?: KvStore;
  layout?: Readonly<Record<ShopServiceName, number>>;
  /** Delay before a killed or drained replica starts again, ms. */
  restartDelayMs?: number;
  logger?: Logger;
}

/**
 * Every replica in this process on one store (MemoryStore by default): the embedded default.
 * A killed replica's server is force-closed (connections reset, in-flight calls fail) and the
 * replica starts again on a new port after `restartDelayMs`, as a supervisor would restart it.
 */
export async function startEmbeddedCluster(input: EmbeddedClusterOptions = {}): Promise<ShopCluster> {
  const options = {
    ...input,
    ...parseOptions(embeddedOptionsSchema, input, '', { error: ShopOptionsError.factory('startEmbeddedCluster') }),
  };
  const store = options.store ?? new MemoryStore();
  const logger = options.logger ?? createLogger('shop.cluster');
  const { restartDelayMs } = options;
  const slots = new Map<string, Slot>();
  const listeners = new Emitter<ReplicaEvent>('replica state', logger);
  let closed = false;

  const set = (slot: Slot, state: ProcessState) => {
    slot.state = state;
    logger.info({ replica: slot.name, state }, `replica ${slot.name}: ${state.kind}`);
    listeners.emit({ replica: slot.name, state });
  };
  const start = async (slot: Slot) => {
    slot.replica = await startReplica({ service: slot.service, name: slot.name, store, metricsPort: false, logger });
    set(slot, { kind: 'running' });
  };
  const restartLater = (slot: Slot) => {
    set(slot, { kind: 'restarting', inMs: restartDelayMs });
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (closed) return;
      slot.restarts++;
      start(slot).catch((error: unknown) => set(slot, { kind: 'down', reason: String(error) }));
    }, restartDelayMs);
  };
  const slotOf = (name: string) => {
    const slot = slots.get(name);
    if (!slot) throw new UnknownReplicaError(name, [...slots.keys()]);
    return slot;
  };
  const stopWith = async (name: string, how: 'kill' | 'close', reason: string) => {
    const slot = slotOf(name);
    const replica = slot.replica;
    if (!replica || slot.state.kind === 'restarting' || slot.state.kind === 'down') return;
    slot.replica = undefined;
    if (how === 'close') set(slot, { kind: 'draining' });
    await replica[how]();
    set(slot, { kind: 'down', reason });
    restartLater(slot);
  };

  for (const [name, service] of replicaNames(options.layout ?? DEFAULT_LAYOUT)) {
    slots.set(name, { name, service, state: { kind: 'restarting' }, restarts: 0 });
  }
  // Dependencies first, so orders replicas find them at once.
  try {
    for (const slot of slots.values()) if (slot.service !== 'orders') await start(slot);
    for (const slot of slots.values()) if (slot.service === 'orders') await start(slot);
  } catch (error) {
    await Promise.all([...slots.values()].map((s) => s.replica?.kill()));
    throw error;
  }

  return {
    mode: 'embedded',
    store,
    replicas: (): ReplicaStatus[] =>
      [...slots.values()].map((s) => ({ name: s.name, service: s.service, state: s.state, restarts: s.restarts })),
    onReplicaEvent(listener): Disposer {
      return listeners.on(listener);
    },
    kill: (name) => stopWith(name, 'kill', 'killed'),
    drain: (name) => stopWith(name, 'close', 'drained'),
    async freeze(name) {
      const slot = slotOf(name);
      await setReplicaDelay(store, name, FROZEN_DELAY_MS);
      if (slot.state.kind === 'running') set(slot, { kind: 'frozen' });
    },
    async heal(name) {
      const slot = slotOf(name);
      await setReplicaDelay(store, name, 0);
      if (slot.state.kind === 'frozen') set(slot, { kind: 'running' });
    },
    async slow(name, delayMs) {
      slotOf(name);
      await setReplicaDelay(store, name, delayMs);
    },
    etcd: async () => undefined,
    killEtcdLeader: () =>
      Promise.reject(new UnsupportedActionError('killing the etcd leader', 'the shop runs embedded, without etcd')),
    async close() {
      closed = true;
      for (const slot of slots.values()) clearTimeout(slot.timer);
      // Orders first: they call the others while draining.
      const order = [...slots.values()].sort((a, b) => Number(b.service === 'orders') - Number(a.service === 'orders'));
      for (const slot of order) await slot.replica?.close().catch(() => undefined);
      if (!options.store) await store.close();
    },
  };
}
