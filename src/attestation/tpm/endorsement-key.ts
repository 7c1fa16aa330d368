import { createPublicKey } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import {
  MAX_DIGEST_BYTES,
  MAX_ECC_KEY_BYTES,
  MAX_RSA_KEY_BYTES,
  TPM_ALG,
  TPM_ECC_CURVE,
  TPMA_OBJECT,
  tpmHashes,
  type TpmHashName,
} from './tpm-constants.ts';
import { tpmName } from './tpm-name.ts';
import { TpmReader } from './tpm-reader.ts';
import { MAX_TPM2B_PUBLIC_BYTES } from './tpmt-public.ts';

/** Part 2 §6.3: the symmetric algorithm and mode of a storage key's inner wrapper. */
const TPM_ALG_AES = 0x0006;
const TPM_ALG_CFB = 0x0043;

/**
 * An endorsement key as MakeCredential needs it (TPM 2.0 Part 2 §12.2.4 TPMT_PUBLIC of a
 * restricted decryption key): its name hash, the AES key size of its protection, and its public key.
 */
export interface EndorsementKey {
  readonly nameAlg: TpmHashName;
  readonly name: Uint8Array;
  readonly aesKeyBits: 128 | 256;
  /**
   * TPMA_OBJECT userWithAuth: the low-range EK templates (L-1, L-2) leave it clear and authorise
   * use by PolicySecret(TPM_RH_ENDORSEMENT); the high-range ones (H-1…) set it, with an empty auth value.
   */
  readonly userWithAuth: boolean;
  readonly key:
    | {
        readonly type: 'ecc';
        readonly curve: 'prime256v1' | 'secp384r1';
        readonly x: Uint8Array;
        readonly y: Uint8Array;
      }
    | { readonly type: 'rsa'; readonly modulus: Uint8Array; readonly exponent: number };
}

function unsupported(what: string, id: number): TrustplaneError {
  const algorithm = `0x${id.toString(16).padStart(4, '0')}`;
  return new TrustplaneError('ATTESTATION_ALGORITHM_UNSUPPORTED', `EK ${what} ${algorithm} is not supported`, {
    details: { algorithm },
  });
}

/** Parses an EK's TPM2B_PUBLIC (attacker-controlled: the device sends it when it registers its AK). */
export function parseEndorsementKey(tpm2bPublic: Uint8Array): EndorsementKey {
  const outer = new TpmReader(tpm2bPublic, 'EK TPM2B_PUBLIC');
  if (tpm2bPublic.length > MAX_TPM2B_PUBLIC_BYTES)
    throw outer.malformed(`${tpm2bPublic.length} bytes exceed ${MAX_TPM2B_PUBLIC_BYTES}`);
  const area = outer.tpm2b('publicArea', MAX_TPM2B_PUBLIC_BYTES);
  outer.end();
  const r = new TpmReader(area, 'EK TPMT_PUBLIC');
  const type = r.uint16('type');
  const nameAlgId = r.uint16('nameAlg');
  const nameAlg = tpmHashes.get(nameAlgId);
  if (nameAlg === undefined || nameAlg.name === 'sha1') throw unsupported('nameAlg', nameAlgId);
  const attributes = r.uint32('objectAttributes');
  // TCG EK Credential Profile §2.1.5: an EK is a restricted decryption key that stays in its TPM.
  const needed = TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.restricted | TPMA_OBJECT.decrypt;
  if ((attributes & needed) !== needed || (attributes & TPMA_OBJECT.sign) !== 0)
    throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the EK is not a fixed, restricted decryption key');
  r.tpm2b('authPolicy', MAX_DIGEST_BYTES);
  const symmetric = r.uint16('parameters.symmetric.algorithm');
  if (symmetric !== TPM_ALG_AES) throw unsupported('symmetric algorithm', symmetric);
  const aesKeyBits = r.uint16('parameters.symmetric.keyBits');
  if (aesKeyBits !== 128 && aesKeyBits !== 256) throw unsupported('AES key size', aesKeyBits);
  const mode = r.uint16('parameters.symmetric.mode');
  if (mode !== TPM_ALG_CFB) throw unsupported('symmetric mode', mode);
  const scheme = r.uint16('parameters.scheme');
  if (scheme !== TPM_ALG.NULL) throw unsupported('scheme', scheme);
  let key: EndorsementKey['key'];
  if (type === TPM_ALG.ECC) {
    const curveId = r.uint16('parameters.curveID');
    const kdf = r.uint16('parameters.kdf');
    if (kdf !== TPM_ALG.NULL) throw unsupported('KDF', kdf);
    const x = r.tpm2b('unique.x', MAX_ECC_KEY_BYTES);
    const y = r.tpm2b('unique.y', MAX_ECC_KEY_BYTES);
    const curve =
      curveId === TPM_ECC_CURVE.NIST_P256
        ? 'prime256v1'
        : curveId === TPM_ECC_CURVE.NIST_P384
          ? 'secp384r1'
          : undefined;
    if (curve === undefined) throw unsupported('curve', curveId);
    const size = curve === 'prime256v1' ? 32 : 48;
    if (x.length !== size || y.length !== size)
      throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the EK point is not of its curve size');
    try {
      const crv = curve === 'prime256v1' ? 'P-256' : 'P-384';
      const b64 = (c: Uint8Array): string => Buffer.from(c).toString('base64url');
      createPublicKey({ key: { kty: 'EC', crv, x: b64(x), y: b64(y) }, format: 'jwk' });
    } catch (cause) {
      throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the EK point is not on its curve', { cause });
    }
    key = { type: 'ecc', curve, x, y };
  } else if (type === TPM_ALG.RSA) {
    const keyBits = r.uint16('parameters.keyBits');
    const exponent = r.uint32('parameters.exponent');
    const modulus = r.tpm2b('unique.rsa', MAX_RSA_KEY_BYTES);
    if (![2048, 3072, 4096].includes(keyBits) || modulus.length * 8 !== keyBits)
      throw unsupported('RSA key size', keyBits);
    // The EK templates use the default exponent (0, i.e. 2^16 + 1); another one is not an EK's.
    if (exponent !== 0 && exponent !== 65537)
      throw new TrustplaneError('ATTESTATION_KEY_INVALID', 'the EK exponent is not 65537');
    key = { type: 'rsa', modulus, exponent: 65537 };
  } else throw unsupported('key type', type);
  r.end();
  return {
    nameAlg: nameAlg.name,
    name: tpmName(nameAlgId, area),
    aesKeyBits,
    userWithAuth: (attributes & 0x40) !== 0,
    key,
  };
}
