import { TrustplaneError } from '../../core/errors.ts';

/**
 * TUF 4.1: signatures are over the "canonical JSON" of `signed` — the OLPC dialect that
 * securesystemslib and tuf-js implement: keys sorted by code unit, no whitespace, integers only,
 * and only `"` and `\` escaped in strings. It is not RFC 8785 (JCS), and not always JSON:
 * control characters stay raw (a PEM key's newlines), so files are written with
 * `metadataFileJson` instead and only signatures cover these bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw malformed('canonical JSON carries integers only');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return canonicalString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') return `{${sortedEntries(value).map(([k, v]) => `${canonicalString(k)}:${canonicalJson(v)}`).join(',')}}`;
  throw malformed(`canonical JSON cannot carry a ${typeof value}`);
}

/** The UTF-8 bytes of the canonical form: what a TUF signature signs. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/**
 * A metadata file's bytes: ordinary JSON (control characters escaped) with keys sorted and no
 * whitespace, so the same metadata always gives the same bytes and the same hash, which the
 * snapshot and timestamp pin. Whatever canonicalJson refuses is refused here too.
 */
export function metadataFileJson(value: unknown): Uint8Array {
  canonicalJson(value);
  return new TextEncoder().encode(JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(sortedEntries(v)) : v)));
}

function sortedEntries(value: object): [string, unknown][] {
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function canonicalString(s: string): string {
  // A lone surrogate would become U+FFFD in the UTF-8 that is signed, not the string that was meant.
  if (!s.isWellFormed()) throw malformed('a string carries a lone surrogate');
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function malformed(message: string): TrustplaneError {
  return new TrustplaneError('TUF_METADATA_MALFORMED', message);
}
