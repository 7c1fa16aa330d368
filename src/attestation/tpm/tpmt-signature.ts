import { TrustplaneError } from '../../core/errors.ts';
import { MAX_ECC_KEY_BYTES, MAX_RSA_KEY_BYTES, TPM_ALG, tpmHashes, type TpmHashName } from './tpm-constants.ts';
import { TpmReader } from './tpm-reader.ts';

export type TpmSignatureScheme = 'ecdsa' | 'rsassa' | 'rsapss';

/** TPM 2.0 Part 2 §11.3.4 TPMT_SIGNATURE, for the schemes trustplane verifies. */
export type TpmtSignature =
  | { readonly scheme: 'ecdsa'; readonly hash: TpmHashName; readonly r: Uint8Array; readonly s: Uint8Array }
  | { readonly scheme: 'rsassa' | 'rsapss'; readonly hash: TpmHashName; readonly sig: Uint8Array };

/** Attacker-controlled input: an RSA-4096 signature with its headers is 518 bytes. */
export const MAX_TPMT_SIGNATURE_BYTES = 1024;

export const signatureSchemeIds: Readonly<Record<TpmSignatureScheme, number>> = {
  ecdsa: TPM_ALG.ECDSA,
  rsassa: TPM_ALG.RSASSA,
  rsapss: TPM_ALG.RSAPSS,
};

function unsupported(what: string, id: number): TrustplaneError {
  const algorithm = `0x${id.toString(16).padStart(4, '0')}`;
  return new TrustplaneError('ATTESTATION_ALGORITHM_UNSUPPORTED', `${what} ${algorithm} is not supported`, {
    details: { algorithm },
  });
}

/** TPMI_ALG_HASH of a signature scheme (§11.2.1.2 TPMS_SCHEME_HASH); sha1 is refused for signatures. */
export function readSigningHash(r: TpmReader, field: string): TpmHashName {
  const id = r.uint16(field);
  const hash = tpmHashes.get(id);
  if (hash === undefined || hash.name === 'sha1') throw unsupported(field, id);
  return hash.name;
}

/** Parses a TPMT_SIGNATURE (tpm2_quote -s, the default tss format). */
export function parseTpmtSignature(bytes: Uint8Array): TpmtSignature {
  const r = new TpmReader(bytes, 'TPMT_SIGNATURE');
  if (bytes.length > MAX_TPMT_SIGNATURE_BYTES)
    throw r.malformed(`${bytes.length} bytes exceed ${MAX_TPMT_SIGNATURE_BYTES}`);
  const sigAlg = r.uint16('sigAlg');
  let signature: TpmtSignature;
  switch (sigAlg) {
    case TPM_ALG.ECDSA: {
      // §11.2.5.1 TPMS_SIGNATURE_ECC: hash, signatureR, signatureS (TPM2B_ECC_PARAMETER)
      const hash = readSigningHash(r, 'signature hash');
      const sr = r.tpm2b('signatureR', MAX_ECC_KEY_BYTES);
      const ss = r.tpm2b('signatureS', MAX_ECC_KEY_BYTES);
      signature = { scheme: 'ecdsa', hash, r: sr, s: ss };
      break;
    }
    case TPM_ALG.RSASSA:
    case TPM_ALG.RSAPSS: {
      // §11.3.1 TPMS_SIGNATURE_RSA: hash, sig (TPM2B_PUBLIC_KEY_RSA)
      const hash = readSigningHash(r, 'signature hash');
      const sig = r.tpm2b('signature', MAX_RSA_KEY_BYTES);
      signature = { scheme: sigAlg === TPM_ALG.RSASSA ? 'rsassa' : 'rsapss', hash, sig };
      break;
    }
    default:
      throw unsupported('signature algorithm', sigAlg);
  }
  r.end();
  return signature;
}
