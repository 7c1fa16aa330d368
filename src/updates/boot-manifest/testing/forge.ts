import type { Signer } from '../../../crypto/signer.ts';
import type { BootManifest } from '../boot-manifest.types.ts';
import { encodeCoseSign, headerLabel, protectedHeader, sigStructure } from '../cose-sign.ts';
import { BOOT_MANIFEST_CONTENT_TYPE, manifestKeyId, signatureSlots } from '../manifest-algorithms.ts';
import { encodeManifestPayload } from '../manifest-payload.ts';
import type { ManifestKeys } from './manifest-keys.ts';

/**
 * Test kit: the pieces of a signed manifest, each replaceable, so a test can build what the
 * signer never would (another content type, a non-deterministic payload, a missing signature)
 * and still sign it validly.
 */

export interface SignatureEntry {
  protected: Uint8Array;
  signature: Uint8Array;
}

export const standardBodyProtected = (contentType: string = BOOT_MANIFEST_CONTENT_TYPE): Uint8Array =>
  protectedHeader([[headerLabel.contentType, contentType]]);

export async function signatureEntry(
  signer: Signer,
  coseAlg: number,
  bodyProtected: Uint8Array,
  payload: Uint8Array,
  kid: Uint8Array = manifestKeyId(signer.spki),
): Promise<SignatureEntry> {
  const prot = protectedHeader([
    [headerLabel.alg, coseAlg],
    [headerLabel.kid, kid],
  ]);
  return { protected: prot, signature: await signer.sign(sigStructure(bodyProtected, prot, payload)) };
}

export interface ForgeOptions {
  manifest?: BootManifest;
  payload?: Uint8Array;
  bodyProtected?: Uint8Array;
}

/** The two standard signature entries over the given (or the manifest's own) payload. */
export async function forgeParts(
  keys: ManifestKeys,
  options: ForgeOptions,
): Promise<{ bodyProtected: Uint8Array; payload: Uint8Array; entries: SignatureEntry[] }> {
  const payload = options.payload ?? encodeManifestPayload(options.manifest as BootManifest);
  const bodyProtected = options.bodyProtected ?? standardBodyProtected();
  const [ed, ml] = signatureSlots;
  const entries = [
    await signatureEntry(keys.signers.ed25519, ed.coseAlg, bodyProtected, payload),
    await signatureEntry(keys.signers.mlDsa65, ml.coseAlg, bodyProtected, payload),
  ];
  return { bodyProtected, payload, entries };
}

/** A validly signed COSE_Sign message around whatever payload and body header the test gives. */
export async function forgeManifest(keys: ManifestKeys, options: ForgeOptions): Promise<Uint8Array> {
  const { bodyProtected, payload, entries } = await forgeParts(keys, options);
  return encodeCoseSign(bodyProtected, payload, entries);
}

/** A copy of `bytes` with one bit flipped at `index` (negative counts from the end). */
export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}
