import { verify, type KeyObject } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { keyAlgorithmOf, publicKeyFromSpki } from '../../crypto/key-algorithm.ts';
import type { BootManifest, BootManifestTrust } from './boot-manifest.types.ts';
import { parseCoseSign, sigStructure, type CoseSign, type CoseSignature } from './cose-sign.ts';
import { manifestKeyId, MAX_BOOT_MANIFEST_BYTES, signatureSlots, type SignatureSlot } from './manifest-algorithms.ts';
import { checkBodyHeaders, readSignatureHeaders } from './manifest-headers.ts';
import { decodeManifestPayload } from './manifest-payload.ts';

/**
 * The reference verifier of a signed boot manifest (docs/reference/boot-manifest.md, "Verifying"):
 * what a bootloader does before it looks at the image, in the same order. Pure: no I/O, the trust
 * anchors come in as values. Throws TrustplaneError MANIFEST_MALFORMED or MANIFEST_SIGNATURE_INVALID
 * for any bytes it is given, or MANIFEST_KEY_INVALID when the trust anchors themselves are wrong.
 */
export function verifyBootManifest(bytes: Uint8Array, trust: BootManifestTrust): BootManifest {
  const anchors = trustedKeys(trust);
  // Step 1: bounded parse of attacker-controlled input.
  if (bytes.length > MAX_BOOT_MANIFEST_BYTES)
    throw new TrustplaneError('MANIFEST_MALFORMED', `a boot manifest is at most ${MAX_BOOT_MANIFEST_BYTES} bytes`);
  const message = parseCoseSign(bytes);
  checkBodyHeaders(message);
  // Step 2: exactly the two expected signatures, in order, by the expected keys; both must verify.
  if (message.signatures.length !== signatureSlots.length)
    refuse(
      undefined,
      `a boot manifest carries exactly ${signatureSlots.length} signatures, not ${message.signatures.length}`,
    );
  signatureSlots.forEach((slot, i) =>
    verifySlot(message, message.signatures[i] as CoseSignature, slot, anchors[i] as TrustedKey),
  );
  // Step 3: only signed bytes reach the payload parser.
  return decodeManifestPayload(message.payload);
}

interface TrustedKey {
  readonly key: KeyObject;
  readonly kid: Uint8Array;
}

/** Fail closed on a misconfigured verifier: each anchor must be a key of its slot's algorithm. */
function trustedKeys(trust: BootManifestTrust): TrustedKey[] {
  const spkis = [trust.ed25519Spki, trust.mlDsa65Spki];
  return signatureSlots.map((slot, i) => {
    const spki = spkis[i] as Uint8Array;
    let key: KeyObject;
    try {
      key = publicKeyFromSpki(spki);
    } catch (cause) {
      throw new TrustplaneError('MANIFEST_KEY_INVALID', `the ${slot.algorithm} trust anchor is not a public key`, {
        cause,
      });
    }
    if (keyAlgorithmOf(key) !== slot.algorithm)
      throw new TrustplaneError(
        'MANIFEST_KEY_INVALID',
        `the ${slot.algorithm} trust anchor is not an ${slot.algorithm} key`,
      );
    return { key, kid: manifestKeyId(spki) };
  });
}

function refuse(slot: SignatureSlot | undefined, reason: string): never {
  throw new TrustplaneError('MANIFEST_SIGNATURE_INVALID', reason, {
    details: slot ? { algorithm: slot.algorithm, reason } : { reason },
  });
}

function verifySlot(message: CoseSign, signature: CoseSignature, slot: SignatureSlot, anchor: TrustedKey): void {
  const { alg, kid } = readSignatureHeaders(signature);
  if (alg !== slot.coseAlg)
    refuse(
      slot,
      `signature ${signatureSlots.indexOf(slot)} must be ${slot.algorithm} (COSE alg ${slot.coseAlg}), not alg ${alg}`,
    );
  if (!Buffer.from(kid).equals(anchor.kid)) refuse(slot, `the ${slot.algorithm} signature is by another key (kid)`);
  if (signature.signature.length !== slot.signatureBytes)
    refuse(slot, `an ${slot.algorithm} signature is ${slot.signatureBytes} bytes`);
  // RFC 9052 §4.4: verify over Sig_structure ("Signature", body_protected, sign_protected, h'', payload).
  const toBeSigned = sigStructure(message.bodyProtected, signature.protected, message.payload);
  if (!verify(null, toBeSigned, anchor.key, signature.signature))
    refuse(slot, `the ${slot.algorithm} signature does not verify`);
}
