import type { KvStore } from '@ballast/config';
import type { Logger } from '@ballast/core';
import type { InventoryServiceDefinition } from '@ballast/stubs/shop/v1/inventory';
import { ServerError, Status, type ServiceImplementation } from 'nice-grpc';
import { z } from 'zod';
import { shopKeys } from './shop-keys.js';

export interface StockLevel {
  readonly available: number;
  readonly reserved: number;
}

/**
 * A reservation's first outcome sticks: `held` or `rejected` is decided once per id, and a
 * `released` tombstone (written even for an id never reserved) stops a late retry from taking
 * stock for an order that already failed.
 */
export type Reservation =
  | { readonly state: 'held'; readonly sku: string; readonly quantity: number }
  | { readonly state: 'rejected'; readonly sku: string; readonly quantity: number }
  | { readonly state: 'released'; readonly sku: string; readonly quantity: number };

const idSchema = z.string().regex(/^[A-Za-z0-9._:/-]{1,128}$/, '1–128 of letters, digits, . _ : / -');
const reserveSchema = z.object({
  reservationId: idSchema,
  sku: z.string().min(1, 'sku is required'),
  quantity: z.number().int().min(1).max(1000),
});

/** Compare-and-swap rounds before a Reserve gives up under contention (UNAVAILABLE: retry). */
const MAX_ROUNDS = 50;

/**
 * InventoryService on a KvStore. Every change is one transaction that compares the stock key's
 * mod revision and the reservation key's absence, so concurrent replicas never oversell and a
 * retried Reserve never takes stock twice.
 */
export function createInventoryService(
  store: KvStore,
  logger?: Logger,
): ServiceImplementation<typeof InventoryServiceDefinition> {
  const readStock = async (sku: string) => {
    const { kv } = await store.get(shopKeys.stock(sku));
    if (!kv) throw new ServerError(Status.NOT_FOUND, `no stock record for sku "${sku}"`);
    return { level: JSON.parse(kv.value) as StockLevel, modRevision: kv.modRevision };
  };
  const readReservation = async (id: string) => {
    const { kv } = await store.get(shopKeys.reservation(id));
    return kv ? { reservation: JSON.parse(kv.value) as Reservation, modRevision: kv.modRevision } : undefined;
  };

  return {
    async getStock(request) {
      if (!request.sku) throw new ServerError(Status.INVALID_ARGUMENT, 'sku is required');
      const { level } = await readStock(request.sku);
      return { sku: request.sku, available: level.available, reserved: level.reserved };
    },

    async reserve(request) {
      const parsed = reserveSchema.safeParse(request);
      if (!parsed.success) throw invalid(parsed.error);
      const { reservationId, sku, quantity } = parsed.data;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const existing = await readReservation(reservationId);
        if (existing) return answerExisting(reservationId, existing.reservation, sku, quantity, readStock);
        const stock = await readStock(sku);
        const enough = stock.level.available >= quantity;
        const next: StockLevel = enough
          ? { available: stock.level.available - quantity, reserved: stock.level.reserved + quantity }
          : stock.level;
        const reservation: Reservation = { state: enough ? 'held' : 'rejected', sku, quantity };
        const result = await store.txn({
          compare: [
            { key: shopKeys.reservation(reservationId), target: 'version', op: '==', value: 0 },
            { key: shopKeys.stock(sku), target: 'modRevision', op: '==', value: stock.modRevision },
          ],
          success: [
            ...(enough ? [{ type: 'put' as const, key: shopKeys.stock(sku), value: JSON.stringify(next) }] : []),
            { type: 'put', key: shopKeys.reservation(reservationId), value: JSON.stringify(reservation) },
          ],
        });
        if (!result.succeeded) continue;
        logger?.info({ reservationId, sku, quantity, outcome: reservation.state }, 'reservation decided');
        if (!enough) throw outOfStock(sku, quantity, stock.level.available);
        return { reservationId, remaining: next.available };
      }
      throw new ServerError(Status.UNAVAILABLE, `stock of "${sku}" is under heavy contention: retry`);
    },

    async release(request) {
      const id = idSchema.safeParse(request.reservationId);
      if (!id.success) throw new ServerError(Status.INVALID_ARGUMENT, `reservation_id: ${id.error.issues[0]!.message}`);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const existing = await readReservation(id.data);
        const key = shopKeys.reservation(id.data);
        if (!existing) {
          const tombstone: Reservation = { state: 'released', sku: '', quantity: 0 };
          const result = await store.txn({
            compare: [{ key, target: 'version', op: '==', value: 0 }],
            success: [{ type: 'put', key, value: JSON.stringify(tombstone) }],
          });
          if (result.succeeded) return { released: false };
          continue;
        }
        const { reservation } = existing;
        if (reservation.state !== 'held') return { released: false };
        const stock = await readStock(reservation.sku);
        const next: StockLevel = {
          available: stock.level.available + reservation.quantity,
          reserved: stock.level.reserved - reservation.quantity,
        };
        const result = await store.txn({
          compare: [
            { key, target: 'modRevision', op: '==', value: existing.modRevision },
            { key: shopKeys.stock(reservation.sku), target: 'modRevision', op: '==', value: stock.modRevision },
          ],
          success: [
            { type: 'put', key: shopKeys.stock(reservation.sku), value: JSON.stringify(next) },
            { type: 'put', key, value: JSON.stringify({ ...reservation, state: 'released' }) },
          ],
        });
        if (!result.succeeded) continue;
        logger?.info({ reservationId: id.data, sku: reservation.sku, quantity: reservation.quantity }, 'released');
        return { released: true };
      }
      throw new ServerError(Status.UNAVAILABLE, `reservation "${id.data}" is under heavy contention: retry`);
    },
  };
}

async function answerExisting(
  id: string,
  reservation: Reservation,
  sku: string,
  quantity: number,
  readStock: (sku: string) => Promise<{ level: StockLevel }>,
) {
  if (reservation.state === 'released') {
    throw new ServerError(Status.FAILED_PRECONDITION, `reservation "${id}" was released; use a new reservation_id`);
  }
  if (reservation.sku !== sku || reservation.quantity !== quantity) {
    throw new ServerError(
      Status.FAILED_PRECONDITION,
      `reservation_id "${id}" was used for ${reservation.quantity} × ${reservation.sku}: use a new id`,
    );
  }
  const { level } = await readStock(sku);
  if (reservation.state === 'rejected') throw outOfStock(sku, quantity, level.available);
  return { reservationId: id, remaining: level.available };
}

function outOfStock(sku: string, quantity: number, available: number): ServerError {
  return new ServerError(Status.FAILED_PRECONDITION, `out of stock: ${quantity} × ${sku} wanted, ${available} left`);
}

function invalid(error: z.ZodError): ServerError {
  const issue = error.issues[0]!;
  return new ServerError(Status.INVALID_ARGUMENT, `${issue.path.join('.') || 'request'}: ${issue.message}`);
}

/** Writes each SKU's initial stock unless it already exists (a restarted demo keeps its state). */
export async function seedStock(store: KvStore, stock: Readonly<Record<string, number>>): Promise<void> {
  for (const [sku, units] of Object.entries(stock)) {
    const level: StockLevel = { available: units, reserved: 0 };
    await store.txn({
      compare: [{ key: shopKeys.stock(sku), target: 'version', op: '==', value: 0 }],
      success: [
        { type: 'put', key: shopKeys.stock(sku), value: JSON.stringify(level) },
        { type: 'put', key: shopKeys.initialStock(sku), value: String(units) },
      ],
    });
  }
}

/** The stock each SKU was seeded with (what audits compare against). */
export async function readInitialStock(store: KvStore): Promise<Record<string, number>> {
  const { kvs } = await store.range(shopKeys.initialStockPrefix);
  return Object.fromEntries(kvs.map((kv) => [kv.key.slice(shopKeys.initialStockPrefix.length), Number(kv.value)]));
}
