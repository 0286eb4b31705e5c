import { validateEndpoints, type Endpoint } from '@ballast/core';
import { z } from 'zod';
import { decodeValue } from './decode-value.js';

/** Where instances live: `<root><service>/<id>`, e.g. /ballast/services/catalog/catalog-7f3a. */
export const DEFAULT_REGISTRY_ROOT = '/ballast/services/';

/** The JSON value of a registry key. */
export const RegistryEntrySchema = z.object({
  id: z.string().min(1),
  address: z.string().min(1),
  weight: z.number().finite().min(0).optional(),
  zone: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export type RegistryEntry = z.infer<typeof RegistryEntrySchema>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function servicePrefix(root: string, service: string): string {
  return `${root}${service}/`;
}

export function registryKey(root: string, service: string, id: string): string {
  return `${servicePrefix(root, service)}${id}`;
}

export function isValidName(name: string): boolean {
  return NAME.test(name) && name.length <= 200;
}

/** Why discovery left a registry entry out; the `reason` label of ballast_registry_rejected_entries_total. */
export type RegistryRejectReason = 'malformed' | 'wrong-key' | 'bad-endpoint' | 'duplicate-id';

export type ParsedRegistryEntry =
  | { readonly ok: true; readonly endpoint: Endpoint }
  | { readonly ok: false; readonly kind: RegistryRejectReason; readonly reason: string };

/**
 * Parses one registry value; explains what is wrong instead of throwing. With `prefix` (the
 * service's prefix, `<root><service>/`), the key must be exactly `<prefix><id>`: an entry under
 * `<prefix>a/<id>` is not this service's instance `<id>`, whatever its value says.
 */
export function parseRegistryEntry(key: string, text: string, prefix?: string): ParsedRegistryEntry {
  const decoded = decodeValue(text, RegistryEntrySchema);
  if (!decoded.ok) return { ok: false, kind: 'malformed', reason: `field "${decoded.field}": ${decoded.reason}` };
  const entry = decoded.value;
  const expected = prefix === undefined ? key.endsWith(`/${entry.id}`) : key === `${prefix}${entry.id}`;
  if (!expected || !isValidName(entry.id)) {
    const want = prefix === undefined ? `…/${entry.id}` : `${prefix}${entry.id}`;
    return { ok: false, kind: 'wrong-key', reason: `id "${entry.id}" does not match the key: expected ${want}` };
  }
  try {
    validateEndpoints([entry]);
  } catch (err) {
    return { ok: false, kind: 'bad-endpoint', reason: (err as Error).message };
  }
  return { ok: true, endpoint: entry };
}
