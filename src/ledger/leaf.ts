import canonicalize from 'canonicalize';
import { TrustplaneError } from '../core/errors.ts';
import type { EventRecord } from '../pki/records.types.ts';
import { leafHash } from './merkle.ts';

/**
 * The ledger's entries are the lifecycle events: leaf index = events.seq (gap-free from 0,
 * allocated in the writing transaction — store/event-writer.ts). The leaf is the event as
 * RFC 8785 (JCS) canonical JSON, so anyone holding the event's fields can rebuild the exact bytes:
 *
 *     {"action":…,"actor":…,"at":"<ISO 8601, ms, Z>","details":{…},"seq":n,"subjectId":…,"subjectType":…}
 */
export type LedgerEntry = EventRecord;

const utf8 = new TextEncoder();

/** RFC 8785 §3.2: members sorted by UTF-16 code units, ES number and string serialisation, UTF-8 out. */
export function ledgerLeaf(entry: LedgerEntry): Uint8Array {
  const value = {
    seq: entry.seq,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    details: entry.details,
  };
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    // Only values JSON has no form for (NaN, lone surrogates, cycles) get here; stored jsonb has none.
    throw new TrustplaneError('INTERNAL', `event ${entry.seq} has no canonical JSON form`, { cause });
  }
  if (text === undefined) throw new TrustplaneError('INTERNAL', `event ${entry.seq} has no canonical JSON form`);
  return utf8.encode(text);
}

/** RFC 9162 §2.1.1: the Merkle leaf hash of an entry, SHA-256(0x00 || JCS(event)). */
export function entryLeafHash(entry: LedgerEntry): Uint8Array {
  return leafHash(ledgerLeaf(entry));
}
