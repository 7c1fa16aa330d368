import { createHash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.ts';

/**
 * Signed-note keys (c2sp.org/signed-note §Signatures, §Ed25519 signatures) and the verifier key
 * string of golang.org/x/mod/sumdb/note that tlog clients and witnesses are configured with:
 * `<name>+<hex key ID>+<base64(signature type || public key)>`. Only Ed25519 (type 0x01) is accepted.
 */

export const ed25519SignatureType = 0x01;
const ed25519KeyBytes = 32;
/** A verifier key is configuration, but may be pasted from anywhere: bounded before parsing. */
const maxVerifierKeyLength = 1024;

export interface NoteVerifierKey {
  readonly name: string;
  /** uint32, big-endian first four bytes of SHA-256(name || 0x0A || type || public key). */
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

/** signed-note §Format: key names are non-empty and contain no Unicode space and no plus (U+002B). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !/[\p{White_Space}+]/u.test(name) && !/[\u0000-\u001f]/.test(name);
}

/** signed-note §Signatures: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function noteKeyId(name: string, signatureType: number, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Uint8Array.of(0x0a, signatureType))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

function malformed(why: string): never {
  throw new TrustplaneError('NOTE_KEY_MALFORMED', why);
}

/** Parses `<name>+<8 lower-case hex digits>+<base64(0x01 || 32-byte Ed25519 key)>`, checking the key ID. */
export function parseVerifierKey(vkey: string): NoteVerifierKey {
  if (vkey.length > maxVerifierKeyLength) malformed('the verifier key is too long');
  // The base64 part may itself contain '+': split at the first two only.
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) malformed('a verifier key is <name>+<key ID>+<key>');
  const name = vkey.slice(0, first);
  const hexId = vkey.slice(first + 1, second);
  const key = decodeBase64Strict(vkey.slice(second + 1));
  if (!isValidKeyName(name)) malformed('the key name is empty or contains a space or "+"');
  if (!/^[0-9a-f]{8}$/.test(hexId)) malformed('the key ID is not 8 lower-case hex digits');
  if (key === undefined || key.length < 1) malformed('the key is not base64');
  if (key[0] !== ed25519SignatureType)
    malformed(`signature type 0x${key[0]!.toString(16)} is not supported (only Ed25519)`);
  const publicKey = key.subarray(1);
  if (publicKey.length !== ed25519KeyBytes) malformed('an Ed25519 key is 32 bytes');
  const keyId = parseInt(hexId, 16);
  if (keyId !== noteKeyId(name, ed25519SignatureType, publicKey)) malformed('the key ID does not match the key');
  return { name, keyId, publicKey: Uint8Array.from(publicKey) };
}

export function formatVerifierKey(name: string, ed25519PublicKey: Uint8Array): string {
  if (!isValidKeyName(name)) malformed('the key name is empty or contains a space or "+"');
  if (ed25519PublicKey.length !== ed25519KeyBytes) malformed('an Ed25519 key is 32 bytes');
  const id = noteKeyId(name, ed25519SignatureType, ed25519PublicKey).toString(16).padStart(8, '0');
  return `${name}+${id}+${encodeBase64(Uint8Array.of(ed25519SignatureType, ...ed25519PublicKey))}`;
}

/** RFC 8410 §4: an Ed25519 SubjectPublicKeyInfo is this fixed 12-byte header and the 32-byte key. */
const ed25519SpkiHeader = Buffer.from('302a300506032b6570032100', 'hex');

/** The raw 32-byte key of an Ed25519 SPKI (as the Signer port exposes it); anything else is refused. */
export function ed25519PublicKeyFromSpki(spki: Uint8Array): Uint8Array {
  const ok =
    spki.length === ed25519SpkiHeader.length + ed25519KeyBytes &&
    ed25519SpkiHeader.equals(spki.subarray(0, ed25519SpkiHeader.length));
  if (!ok) malformed('the key is not an Ed25519 SubjectPublicKeyInfo');
  return Uint8Array.from(spki.subarray(ed25519SpkiHeader.length));
}
