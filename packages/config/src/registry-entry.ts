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

/** Parses one registry value; explains what is wrong instead of throwing. */
export function parseRegistryEntry(
  key: string,
  text: string,
): { ok: true; endpoint: Endpoint } | { ok: false; reason: string } {
  const decoded = decodeValue(text, RegistryEntrySchema);
  if (!decoded.ok) return { ok: false, reason: `field "${decoded.field}": ${decoded.reason}` };
  const entry = decoded.value;
  if (!key.endsWith(`/${entry.id}`)) return { ok: false, reason: `id "${entry.id}" does not match the key` };
  try {
    validateEndpoints([entry]);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return { ok: true, endpoint: entry };
}
