import { TrustplaneError } from '../../core/errors.ts';
import type { Signer } from '../../crypto/signer.ts';
import type { BootManifest, BootManifestSigners } from './boot-manifest.types.ts';
import { encodeCoseSign, headerLabel, protectedHeader, sigStructure } from './cose-sign.ts';
import {
  BOOT_MANIFEST_CONTENT_TYPE,
  manifestKeyId,
  signatureSlots,
  type SignatureSlot,
} from './manifest-algorithms.ts';
import { encodeManifestPayload } from './manifest-payload.ts';
import { verifyBootManifest } from './verify-boot-manifest.ts';

/**
 * Signs an approved release's boot manifest: a COSE_Sign message (RFC 9052 §4.1) over the
 * deterministic payload with an Ed25519 and an ML-DSA-65 signature. The keys stay behind their
 * Signer ports (software key store or HSM).
 */
export async function signBootManifest(manifest: BootManifest, signers: BootManifestSigners): Promise<Uint8Array> {
  const ordered = [signers.ed25519, signers.mlDsa65];
  signatureSlots.forEach((slot, i) => requireSignerFor(slot, ordered[i] as Signer));
  const payload = encodeManifestPayload(manifest);
  const bodyProtected = protectedHeader([[headerLabel.contentType, BOOT_MANIFEST_CONTENT_TYPE]]);
  const signatures = await Promise.all(
    signatureSlots.map(async (slot, i) => {
      const signer = ordered[i] as Signer;
      const signProtected = protectedHeader([
        [headerLabel.alg, slot.coseAlg],
        [headerLabel.kid, manifestKeyId(signer.spki)],
      ]);
      // RFC 9052 §4.4: each signer signs Sig_structure; Ed25519 and ML-DSA sign it whole (no prehash).
      return {
        protected: signProtected,
        signature: await signer.sign(sigStructure(bodyProtected, signProtected, payload)),
      };
    }),
  );
  const signed = encodeCoseSign(bodyProtected, payload, signatures);
  checkOwnSignatures(signed, signers);
  return signed;
}

function requireSignerFor(slot: SignatureSlot, signer: Signer): void {
  if (signer.algorithm !== slot.algorithm) {
    throw new TrustplaneError(
      'MANIFEST_KEY_INVALID',
      `the ${slot.algorithm} manifest signer holds an ${signer.algorithm} key`,
    );
  }
}

/** A faulty signer (an HSM returning garbage, a key that does not match its SPKI) must not ship a manifest no device accepts. */
function checkOwnSignatures(signed: Uint8Array, signers: BootManifestSigners): void {
  try {
    verifyBootManifest(signed, { ed25519Spki: signers.ed25519.spki, mlDsa65Spki: signers.mlDsa65.spki });
  } catch (cause) {
    throw new TrustplaneError('INTERNAL', 'the boot manifest just signed does not verify', { cause });
  }
}
