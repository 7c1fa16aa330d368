import type { Random } from './random.ts';

/** Opaque, unguessable identifiers with a type prefix (`ca_…`, `key_…`, `tok_…`). */
export function newId(prefix: string, random: Random): string {
  return `${prefix}_${Buffer.from(random.bytes(10)).toString('hex')}`;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
