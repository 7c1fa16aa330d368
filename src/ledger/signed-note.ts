import { createPublicKey, verify } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import type { Signer } from '../crypto/signer.ts';
import {
  ed25519PublicKeyFromSpki,
  ed25519SignatureType,
  isValidKeyName,
  noteKeyId,
  parseVerifierKey,
  type NoteVerifierKey,
} from './note-key.ts';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.ts';

/**
 * c2sp.org/signed-note: text ending in a newline, a blank line, then one or more lines
 * `— <key name> <base64(uint32 key ID || signature)>`. The text is what the keys sign.
 */

/** Attacker-controlled input is bounded: the spec asks verifiers to accept at least 16 signatures of up to ~5 kB. */
export const maxNoteBytes = 128 * 1024;
/** As golang.org/x/mod/sumdb/note: more signature lines than this make the note malformed. */
export const maxNoteSignatures = 100;

const sigPrefix = '\u2014 '; // em dash, space
const ed25519SignatureBytes = 64;

export interface NoteSignature {
  readonly keyName: string;
  readonly keyId: number;
  /** The signature proper, without the 4-byte key ID. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** Includes the final newline, not the separating blank line. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

function malformed(why: string): never {
  throw new TrustplaneError('NOTE_MALFORMED', why);
}

/** signed-note §Format: valid UTF-8 and no ASCII control characters other than newline. */
function checkCharacters(s: string): void {
  if (!s.isWellFormed()) malformed('the note is not valid UTF-8');
  if (/[\x00-\x09\x0b-\x1f]/.test(s)) malformed('the note contains a control character');
}

function checkText(text: string): void {
  checkCharacters(text);
  if (!text.endsWith('\n')) malformed('the note text must end with a newline');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // keep a BOM: it is part of the signed text

/** Parses a signed note (attacker-controlled, ≤ maxNoteBytes). Signatures are parsed, not verified. */
export function parseNote(message: string | Uint8Array): Note {
  const bytes = typeof message === 'string' ? Buffer.byteLength(message, 'utf8') : message.length;
  if (bytes > maxNoteBytes) malformed(`the note is larger than ${maxNoteBytes} bytes`);
  let s: string;
  if (typeof message === 'string') s = message;
  else {
    try {
      s = utf8.decode(message);
    } catch {
      malformed('the note is not valid UTF-8');
    }
  }
  checkCharacters(s);
  // The text is separated from the signatures by the last empty line of the note.
  const split = s.lastIndexOf('\n\n');
  if (split < 0) malformed('the note has no signature block');
  if (!s.endsWith('\n')) malformed('the last signature line must end with a newline');
  const text = s.slice(0, split + 1);
  const lines = s.slice(split + 2, -1).split('\n');
  if (lines.length > maxNoteSignatures) malformed(`the note has more than ${maxNoteSignatures} signatures`);
  const signatures = lines.map((line): NoteSignature => {
    if (!line.startsWith(sigPrefix)) malformed('a signature line must start with an em dash and a space');
    const rest = line.slice(sigPrefix.length);
    const space = rest.indexOf(' ');
    const keyName = rest.slice(0, space);
    const blob = space < 0 ? undefined : decodeBase64Strict(rest.slice(space + 1));
    if (space < 0 || !isValidKeyName(keyName)) malformed('a signature line has no valid key name');
    if (blob === undefined || blob.length < 5) malformed('a signature is not base64 of a key ID and a signature');
    const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
    return { keyName, keyId: view.getUint32(0), signature: blob.slice(4) };
  });
  return { text, signatures };
}

export function formatNote(note: Note): string {
  checkText(note.text);
  if (note.signatures.length === 0) malformed('a note needs at least one signature');
  const lines = note.signatures.map((sig) => {
    if (!isValidKeyName(sig.keyName)) malformed('the key name is empty or contains a space or "+"');
    const blob = new Uint8Array(4 + sig.signature.length);
    new DataView(blob.buffer).setUint32(0, sig.keyId);
    blob.set(sig.signature, 4);
    return `${sigPrefix}${sig.keyName} ${encodeBase64(blob)}\n`;
  });
  return `${note.text}\n${lines.join('')}`;
}

/** Signs `text` as `keyName` with an Ed25519 Signer (signed-note §Ed25519 signatures: RFC 8032 over the text). */
export async function signNote(text: string, signer: Signer, keyName: string): Promise<string> {
  checkText(text);
  if (!isValidKeyName(keyName)) malformed('the key name is empty or contains a space or "+"');
  if (signer.algorithm !== 'ed25519')
    throw new TrustplaneError('INTERNAL', 'signed notes are signed with an Ed25519 key');
  const keyId = noteKeyId(keyName, ed25519SignatureType, ed25519PublicKeyFromSpki(signer.spki));
  const signature = await signer.sign(Buffer.from(text, 'utf8'));
  if (signature.length !== ed25519SignatureBytes)
    throw new TrustplaneError('INTERNAL', 'the signer returned no Ed25519 signature');
  return formatNote({ text, signatures: [{ keyName, keyId, signature }] });
}

/**
 * signed-note §Signatures: signatures by other keys (another name or another ID) are ignored; every
 * signature by `key` must verify (the spec's SHOULD, as Go's note.Open); and at least one must be
 * there. Returns the parsed note, whose text may then be trusted.
 */
export function verifyNote(message: string | Uint8Array, key: string | NoteVerifierKey): Note {
  const k = typeof key === 'string' ? parseVerifierKey(key) : key;
  const note = parseNote(message);
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(k.publicKey).toString('base64url') },
    format: 'jwk',
  });
  const text = Buffer.from(note.text, 'utf8');
  let verified = 0;
  for (const sig of note.signatures) {
    if (sig.keyName !== k.name || sig.keyId !== k.keyId) continue;
    const ok = sig.signature.length === ed25519SignatureBytes && verify(null, text, publicKey, sig.signature);
    if (!ok) throw new TrustplaneError('NOTE_SIGNATURE_INVALID', `a signature by ${k.name} does not verify`);
    verified++;
  }
  if (verified === 0) throw new TrustplaneError('NOTE_SIGNATURE_INVALID', `the note carries no signature by ${k.name}`);
  return note;
}
