import { TrustplaneError } from '../core/errors.ts';
import type { Signer } from '../crypto/signer.ts';
import { hashBytes } from './merkle.ts';
import type { NoteVerifierKey } from './note-key.ts';
import { isValidKeyName } from './note-key.ts';
import { maxNoteBytes, signNote, verifyNote } from './signed-note.ts';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.ts';

/**
 * c2sp.org/tlog-checkpoint: the note text of a signed tree head.
 *
 *     <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]*
 */

export interface Checkpoint {
  /** Unique identity of the log; trustplane's is also its note key name (tlog-checkpoint §Signatures SHOULD). */
  readonly origin: string;
  readonly size: number;
  /** The RFC 6962 / RFC 9162 root hash at `size`. */
  readonly rootHash: Uint8Array;
  /** Opaque, non-empty lines; NOT RECOMMENDED (not auditable by monitors). */
  readonly extensions: readonly string[];
}

function malformed(why: string): never {
  throw new TrustplaneError('CHECKPOINT_MALFORMED', why);
}

export function formatCheckpoint(cp: Checkpoint): string {
  // Stricter than a reader must be: what this log writes, it also signs under the origin as key name.
  if (!isValidKeyName(cp.origin)) malformed('the origin must be non-empty, without spaces or "+"');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) malformed('the tree size must be a non-negative integer');
  if (cp.rootHash.length !== hashBytes) malformed(`the root hash must be ${hashBytes} bytes`);
  for (const e of cp.extensions)
    if (e.length === 0 || e.includes('\n')) malformed('an extension line must be one non-empty line');
  return [cp.origin, String(cp.size), encodeBase64(cp.rootHash), ...cp.extensions].map((l) => `${l}\n`).join('');
}

/** Parses checkpoint text (attacker-controlled when it comes with a proof bundle; bounded like a note). */
export function parseCheckpoint(text: string): Checkpoint {
  if (text.length > maxNoteBytes) malformed('the checkpoint is too large');
  if (!text.isWellFormed() || /[\x00-\x09\x0b-\x1f]/.test(text))
    malformed('the checkpoint contains invalid characters');
  if (!text.endsWith('\n')) malformed('the checkpoint must end with a newline');
  // tlog-checkpoint §Note text: at least three non-empty lines separated by newlines.
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || size === undefined || root === undefined)
    malformed('a checkpoint has at least three lines');
  // 1. The origin MUST be non-empty (the rest is only a SHOULD; readers must not assume it).
  if (origin.length === 0) malformed('the origin line is empty');
  // 2. ASCII decimal, no leading zeroes unless the tree is empty.
  if (!/^(?:0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size)))
    malformed('the tree size is not a decimal integer');
  // 3. The base64 root hash.
  const rootHash = decodeBase64Strict(root);
  if (rootHash?.length !== hashBytes) malformed(`the root hash is not base64 of ${hashBytes} bytes`);
  // 4. Extension lines, if any, MUST be non-empty.
  if (extensions.some((e) => e.length === 0)) malformed('an extension line is empty');
  return { origin, size: Number(size), rootHash, extensions };
}

/** A checkpoint signed by the log, under its origin as key name (tlog-checkpoint §Signatures). */
export async function signCheckpoint(cp: Checkpoint, signer: Signer): Promise<string> {
  return signNote(formatCheckpoint(cp), signer, cp.origin);
}

/**
 * Opens a signed checkpoint: the note must carry a valid signature by `key`, and the checkpoint
 * must be for `origin` — a good signature on another log's tree head proves nothing about this one.
 */
export function verifyCheckpoint(
  signedNote: string | Uint8Array,
  key: string | NoteVerifierKey,
  origin: string,
): Checkpoint {
  const cp = parseCheckpoint(verifyNote(signedNote, key).text);
  if (cp.origin !== origin)
    throw new TrustplaneError('CHECKPOINT_ORIGIN_MISMATCH', `the checkpoint is for ${cp.origin}, not ${origin}`);
  return cp;
}
