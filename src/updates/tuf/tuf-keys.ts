import { createHash, type KeyObject } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { toPem } from '../../core/pem.ts';
import { keyAlgorithmOf, publicKeyFromSpki } from '../../crypto/key-algorithm.ts';
import { canonicalBytes } from './canonical-json.ts';
import type { TufKey } from './tuf-metadata.types.ts';

/** A TUF key and its id, as a role's keyids and root's `keys` name it. */
export interface IdentifiedTufKey {
  readonly keyId: string;
  readonly key: TufKey;
}

// RFC 8410 §4: an Ed25519 SPKI is this fixed 12-byte header and the 32-byte public key.
const ed25519SpkiHeader = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Our public key (DER SPKI) as a TUF key (TUF 4.2), in the forms python-tuf and tuf-js write:
 * ed25519 as the hex of the raw 32 bytes, ecdsa P-256 as PEM SubjectPublicKeyInfo with scheme
 * ecdsa-sha2-nistp256. Other algorithms are refused: TUF clients do not all verify them.
 */
export function tufKeyFromSpki(spki: Uint8Array): IdentifiedTufKey {
  const publicKey = parseSpki(spki);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  let key: TufKey;
  switch (keyAlgorithmOf(publicKey)) {
    case 'ed25519':
      key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: der.subarray(ed25519SpkiHeader.length).toString('hex') } };
      break;
    case 'ecdsa-p256':
      key = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: toPem(der, 'PUBLIC KEY') } };
      break;
    default:
      throw new TrustplaneError('TUF_KEY_UNSUPPORTED', `a ${publicKey.asymmetricKeyType ?? 'unknown'} key cannot sign TUF metadata here`);
  }
  return { keyId: tufKeyId(key), key };
}

/** TUF 4.2: KEYID is the hex SHA-256 of the canonical JSON of the key object. */
export function tufKeyId(key: TufKey): string {
  return createHash('sha256').update(canonicalBytes(key)).digest('hex');
}

/**
 * The Node public key a TUF key names (the inverse of tufKeyFromSpki). Accepts only the exact
 * combinations we write; a key of another type, scheme or curve is TUF_KEY_UNSUPPORTED.
 */
export function publicKeyOfTufKey(key: TufKey): KeyObject {
  const value = key.keyval.public;
  if (key.keytype === 'ed25519' && key.scheme === 'ed25519' && /^[0-9a-f]{64}$/.test(value)) {
    return parseSpki(Buffer.concat([ed25519SpkiHeader, Buffer.from(value, 'hex')]));
  }
  if (key.keytype === 'ecdsa' && key.scheme === 'ecdsa-sha2-nistp256' && value.startsWith('-----BEGIN PUBLIC KEY-----')) {
    const publicKey = parsePem(value);
    if (keyAlgorithmOf(publicKey) === 'ecdsa-p256') return publicKey;
  }
  throw new TrustplaneError('TUF_KEY_UNSUPPORTED', `unsupported TUF key (${String(key.keytype)}, ${String(key.scheme)})`);
}

/** The DER SPKI of a TUF key: what the rest of trustplane stores for a person's key. */
export function spkiOfTufKey(key: TufKey): Uint8Array {
  return new Uint8Array(publicKeyOfTufKey(key).export({ format: 'der', type: 'spki' }));
}

/** The hash Node's crypto.sign/verify takes for the key's scheme (null: Ed25519 signs the message). */
export function hashOfScheme(scheme: TufKey['scheme']): 'sha256' | null {
  return scheme === 'ed25519' ? null : 'sha256';
}

function parseSpki(spki: Uint8Array): KeyObject {
  try {
    return publicKeyFromSpki(spki);
  } catch (cause) {
    throw new TrustplaneError('TUF_KEY_UNSUPPORTED', 'the public key cannot be parsed', { cause });
  }
}

function parsePem(pem: string): KeyObject {
  try {
    return publicKeyFromSpki(new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')));
  } catch (cause) {
    throw new TrustplaneError('TUF_KEY_UNSUPPORTED', 'the public key cannot be parsed', { cause });
  }
}
