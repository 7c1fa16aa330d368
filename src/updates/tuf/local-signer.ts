import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { signingBytes } from './tuf-signatures.ts';
import { hashOfScheme, tufKeyFromSpki } from './tuf-keys.ts';
import type { AnySigned, TufSignature } from './tuf-metadata.types.ts';

/**
 * Signs TUF metadata with a private key held locally — a release manager's or officer's machine,
 * the CLI, tests. It signs exactly the bytes the server checks (canonical JSON of `signed`) and
 * names the key by the id the root gives it; the private key never leaves the caller.
 */
export function signTufMetadata(signed: AnySigned, privateKey: KeyObject): TufSignature {
  const { keyId, key } = tufKeyFromSpki(new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })));
  // ECDSA: DER (Node's default dsaEncoding), the form securesystemslib and tuf-js verify.
  const sig = sign(hashOfScheme(key.scheme), signingBytes(signed), privateKey);
  return { keyid: keyId, sig: sig.toString('hex') };
}
