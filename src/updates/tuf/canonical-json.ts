import { TrustplaneError } from '../../core/errors.ts';

/**
 * TUF 4.1: signatures are over the "canonical JSON" of `signed` — the OLPC dialect that
 * securesystemslib and tuf-js implement: keys sorted by code unit, no whitespace, integers only,
 * and only `"` and `\` escaped in strings. This is not RFC 8785 (JCS), which escapes control
 * characters: the two disagree on such strings, so we refuse them instead of picking one,
 * and a client's JSON.parse could not read them raw anyway.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw malformed('canonical JSON carries integers only');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return canonicalString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${canonicalString(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw malformed(`canonical JSON cannot carry a ${typeof value}`);
}

/** The UTF-8 bytes of the canonical form: what a TUF signature signs. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

// Control characters and lone surrogates would not survive the round trip through bytes and JSON.parse.
const unsafe = /[\u0000-\u001f]/;

function canonicalString(s: string): string {
  if (unsafe.test(s) || !s.isWellFormed()) throw malformed('a string carries a control character or a lone surrogate');
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function malformed(message: string): TrustplaneError {
  return new TrustplaneError('TUF_METADATA_MALFORMED', message);
}
