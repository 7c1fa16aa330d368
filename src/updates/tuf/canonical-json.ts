import { createRequire } from 'node:module';
import { TrustplaneError } from '../../core/errors.ts';

// The very encoder tuf-js verifies with (CommonJS, no types of its own).
const { canonicalize } = createRequire(import.meta.url)('@tufjs/canonical-json') as { canonicalize: (value: unknown) => string };

/**
 * TUF 4.1: signatures are over the "canonical JSON" of `signed` — the OLPC dialect that
 * securesystemslib and tuf-js implement: keys sorted by code unit, no whitespace, integers only,
 * and only `"` and `\` escaped in strings. It is not RFC 8785 (JCS), and not always JSON:
 * control characters stay raw (a PEM key's newlines), so files are written with
 * `metadataFileJson` instead and only signatures cover these bytes.
 */
export function canonicalJson(value: unknown): string {
  checkCanonicalisable(value);
  return canonicalize(value);
}

/**
 * What @tufjs/canonical-json would encode wrongly or crash on, refused first: non-integers (and
 * integers beyond 2^53, which would not survive a round trip), lone surrogates (they would become
 * U+FFFD in the UTF-8 that is signed, not the string that was meant), and anything but JSON values.
 */
function checkCanonicalisable(value: unknown): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw malformed('canonical JSON carries integers only');
    return;
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw malformed('a string carries a lone surrogate');
    return;
  }
  if (Array.isArray(value)) return value.forEach(checkCanonicalisable);
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      checkCanonicalisable(k);
      checkCanonicalisable(v);
    }
    return;
  }
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

function malformed(message: string): TrustplaneError {
  return new TrustplaneError('TUF_METADATA_MALFORMED', message);
}
