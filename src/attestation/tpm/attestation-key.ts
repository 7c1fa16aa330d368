import { TrustplaneError } from '../../core/errors.ts';
import { MAX_TPM2B_PUBLIC_BYTES, type TpmPublicKey } from './tpmt-public.ts';
import { TPMA_OBJECT } from './tpm-constants.ts';
import { tpmName } from './tpm-name.ts';
import { TpmReader } from './tpm-reader.ts';

/**
 * What makes a key an attestation key (TCG EK Credential Profile §2.2 and Part 1 §25.2): the TPM
 * made it and it cannot leave (fixedTPM, fixedParent, sensitiveDataOrigin), and it signs only
 * what the TPM generated (restricted + sign, not decrypt). A restricted key refuses to sign
 * external data that starts with TPM_GENERATED_VALUE: that is what makes a quote's magic mean "from a TPM".
 */
const required = ['fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'restricted', 'sign'] as const;

export function checkAttestationKey(ak: TpmPublicKey): void {
  const missing = required.filter((a) => (ak.objectAttributes & TPMA_OBJECT[a]) === 0);
  if (missing.length > 0)
    throw new TrustplaneError('ATTESTATION_KEY_INVALID', `the key is not ${missing.join(', ')}`, {
      details: { missing },
    });
  if ((ak.objectAttributes & TPMA_OBJECT.decrypt) !== 0)
    throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the key can decrypt: an attestation key only signs');
  // Part 2 §12.2.3.6: a restricted signing key fixes its scheme; NULL would let the caller pick one.
  if (ak.scheme === undefined) throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the key fixes no signing scheme');
}

/**
 * The Name of any object from its TPM2B_PUBLIC, reading only type and nameAlg: an EK is a
 * restricted decryption key whose parameters trustplane has no other use for.
 */
export function publicAreaName(tpm2bPublic: Uint8Array): Uint8Array {
  const r = new TpmReader(tpm2bPublic, 'TPM2B_PUBLIC');
  if (tpm2bPublic.length > MAX_TPM2B_PUBLIC_BYTES)
    throw r.malformed(`${tpm2bPublic.length} bytes exceed ${MAX_TPM2B_PUBLIC_BYTES}`);
  const publicArea = r.tpm2b('publicArea', MAX_TPM2B_PUBLIC_BYTES);
  r.end();
  const inner = new TpmReader(publicArea, 'TPMT_PUBLIC');
  inner.uint16('type');
  const nameAlg = inner.uint16('nameAlg');
  return tpmName(nameAlg, publicArea);
}
