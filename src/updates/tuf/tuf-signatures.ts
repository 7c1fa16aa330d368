import { verify } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import type { Signer } from '../../crypto/signer.ts';
import { canonicalBytes } from './canonical-json.ts';
import { hashOfScheme, publicKeyOfTufKey, tufKeyFromSpki } from './tuf-keys.ts';
import type { AnySigned, SignedMetadata, ThresholdStatus, TufKey, TufRole, TufSignature } from './tuf-metadata.types.ts';

/** TUF 4.1: the bytes every signature of a metadata file covers — what a role's key holder signs. */
export function signingBytes(signed: AnySigned): Uint8Array {
  return canonicalBytes(signed);
}

const hexSignature = /^(?:[0-9a-f]{2}){1,512}$/;

/**
 * Whether `sig` is `key`'s signature over `signed`. ECDSA signatures are DER (securesystemslib's
 * and tuf-js's form: Node's default dsaEncoding); Ed25519 ones are the raw 64 bytes.
 */
export function verifiesWith(key: TufKey, signed: AnySigned, sig: string): boolean {
  if (!hexSignature.test(sig)) return false;
  try {
    return verify(hashOfScheme(key.scheme), signingBytes(signed), publicKeyOfTufKey(key), Buffer.from(sig, 'hex'));
  } catch {
    return false; // an unparsable DER signature is a signature that does not verify
  }
}

/**
 * TUF 5.3.4 / 5.4.2 / 5.5.3 / 5.6.3: how many distinct keys of `role` signed `metadata`. A
 * signature by a key outside the role, or one that does not verify, does not count.
 */
export function thresholdStatus(role: TufRole, keys: Readonly<Record<string, TufKey>>, metadata: SignedMetadata<AnySigned>): ThresholdStatus {
  const valid = new Set<string>();
  for (const { keyid, sig } of metadata.signatures) {
    const key = keys[keyid];
    if (role.keyids.includes(keyid) && key !== undefined && verifiesWith(key, metadata.signed, sig)) valid.add(keyid);
  }
  const validKeyIds = [...valid].sort();
  return { threshold: role.threshold, validKeyIds, met: validKeyIds.length >= role.threshold };
}

/** Fails closed when the threshold is not met: publishing steps call this before they write. */
export function requireThreshold(status: ThresholdStatus, roleName: string): void {
  if (!status.met) {
    throw new TrustplaneError('TUF_THRESHOLD_NOT_MET', `${roleName} carries ${status.validKeyIds.length} of the ${status.threshold} signatures it needs`, {
      details: { role: roleName, threshold: status.threshold, valid: status.validKeyIds.length },
    });
  }
}

/**
 * Checks one uploaded signature against the keys of the role(s) that may sign, then adds it,
 * replacing an earlier signature by the same key (uploading twice changes nothing twice).
 * `roles` lists the roles whose keys may sign: two for a root rotation (TUF 5.3.4).
 */
export function withCheckedSignature<T extends AnySigned>(
  metadata: SignedMetadata<T>,
  signature: TufSignature,
  roles: readonly { readonly role: TufRole; readonly keys: Readonly<Record<string, TufKey>> }[],
  roleName: string,
): SignedMetadata<T> {
  const key = roles.find(({ role }) => role.keyids.includes(signature.keyid))?.keys[signature.keyid];
  if (key === undefined) {
    throw new TrustplaneError('TUF_KEY_NOT_AUTHORISED', `key ${signature.keyid.slice(0, 16)}… is not a ${roleName} key`);
  }
  if (!verifiesWith(key, metadata.signed, signature.sig)) {
    throw new TrustplaneError('TUF_SIGNATURE_INVALID', `the signature by key ${signature.keyid.slice(0, 16)}… does not verify over this ${roleName} metadata`);
  }
  return withSignature(metadata, signature);
}

/** The metadata with `signature` in place of any other by the same key; signatures sorted by key id. */
export function withSignature<T extends AnySigned>(metadata: SignedMetadata<T>, signature: TufSignature): SignedMetadata<T> {
  const signatures = [...metadata.signatures.filter((s) => s.keyid !== signature.keyid), { keyid: signature.keyid, sig: signature.sig }];
  signatures.sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  return { signed: metadata.signed, signatures };
}

/** Signs `signed` with a Signer (the server's online keys; TUF 4.2 signature object). */
export async function signWithSigner(signer: Signer, signed: AnySigned): Promise<TufSignature> {
  const { keyId } = tufKeyFromSpki(signer.spki);
  const sig = await signer.sign(signingBytes(signed));
  return { keyid: keyId, sig: Buffer.from(sig).toString('hex') };
}
