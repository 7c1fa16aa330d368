import { createPublicKey, type KeyObject } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import {
  TPM_ALG,
  TPM_ECC_CURVE,
  MAX_DIGEST_BYTES,
  MAX_ECC_KEY_BYTES,
  MAX_RSA_KEY_BYTES,
  type TpmHashName,
} from './tpm-constants.ts';
import { tpmName } from './tpm-name.ts';
import { TpmReader } from './tpm-reader.ts';
import { readSigningHash, type TpmSignatureScheme } from './tpmt-signature.ts';

/** A TPM object's public area (TPM 2.0 Part 2 §12.2.4 TPMT_PUBLIC), for ECC and RSA signing keys. */
export interface TpmPublicKey {
  readonly type: 'ecc' | 'rsa';
  readonly nameAlg: number;
  readonly objectAttributes: number;
  /** The signing scheme fixed in the key's parameters, or undefined for TPM_ALG_NULL. */
  readonly scheme: { readonly scheme: TpmSignatureScheme; readonly hash: TpmHashName } | undefined;
  readonly key: KeyObject;
  /** The marshalled TPMT_PUBLIC: what the object's name hashes. */
  readonly publicArea: Uint8Array;
  /** Part 1 §16: nameAlg || H_nameAlg(TPMT_PUBLIC). */
  readonly name: Uint8Array;
}

/** Attacker-controlled input (a device registers its AK): an RSA-4096 TPM2B_PUBLIC is ~600 bytes. */
export const MAX_TPM2B_PUBLIC_BYTES = 1024;

const eccCurves = new Map<number, { crv: 'P-256' | 'P-384'; bytes: number }>([
  [TPM_ECC_CURVE.NIST_P256, { crv: 'P-256', bytes: 32 }],
  [TPM_ECC_CURVE.NIST_P384, { crv: 'P-384', bytes: 48 }],
]);

function unsupported(what: string, id: number): TrustplaneError {
  const algorithm = `0x${id.toString(16).padStart(4, '0')}`;
  return new TrustplaneError('ATTESTATION_ALGORITHM_UNSUPPORTED', `${what} ${algorithm} is not supported`, {
    details: { algorithm },
  });
}

function keyInvalid(message: string, cause?: unknown): TrustplaneError {
  return new TrustplaneError('ATTESTATION_KEY_INVALID', message, cause === undefined ? undefined : { cause });
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Parses a TPM2B_PUBLIC (tpm2_createak -u, tss format; tpm2_readpublic -f tss). */
export function parseTpm2bPublic(bytes: Uint8Array): TpmPublicKey {
  const outer = new TpmReader(bytes, 'TPM2B_PUBLIC');
  if (bytes.length > MAX_TPM2B_PUBLIC_BYTES)
    throw outer.malformed(`${bytes.length} bytes exceed ${MAX_TPM2B_PUBLIC_BYTES}`);
  const publicArea = outer.tpm2b('publicArea', MAX_TPM2B_PUBLIC_BYTES);
  outer.end();
  return parseTpmtPublic(publicArea);
}

export function parseTpmtPublic(publicArea: Uint8Array): TpmPublicKey {
  const r = new TpmReader(publicArea, 'TPMT_PUBLIC');
  const type = r.uint16('type');
  const nameAlg = r.uint16('nameAlg');
  const objectAttributes = r.uint32('objectAttributes');
  r.tpm2b('authPolicy', MAX_DIGEST_BYTES);
  // §12.2.3.7 a signing key's symmetric is TPM_ALG_NULL; anything else is a storage or decryption key.
  const symmetric = r.uint16('parameters.symmetric');
  if (symmetric !== TPM_ALG.NULL) throw keyInvalid('the key has a symmetric algorithm: it is not a signing key');
  let parsed: Pick<TpmPublicKey, 'type' | 'scheme' | 'key'>;
  if (type === TPM_ALG.ECC) parsed = readEcc(r);
  else if (type === TPM_ALG.RSA) parsed = readRsa(r);
  else throw unsupported('key type', type);
  r.end();
  return { ...parsed, nameAlg, objectAttributes, publicArea, name: tpmName(nameAlg, publicArea) };
}

function readEcc(r: TpmReader): Pick<TpmPublicKey, 'type' | 'scheme' | 'key'> {
  // §12.2.3.6 TPMS_ECC_PARMS: symmetric (read), scheme, curveID, kdf; then §11.2.5.2 TPMS_ECC_POINT.
  const schemeId = r.uint16('parameters.scheme');
  let scheme: TpmPublicKey['scheme'];
  if (schemeId === TPM_ALG.ECDSA) scheme = { scheme: 'ecdsa', hash: readSigningHash(r, 'parameters.scheme.hashAlg') };
  else if (schemeId !== TPM_ALG.NULL) throw unsupported('ECC scheme', schemeId);
  const curveId = r.uint16('parameters.curveID');
  const kdf = r.uint16('parameters.kdf');
  if (kdf !== TPM_ALG.NULL) throw unsupported('KDF', kdf);
  const x = r.tpm2b('unique.x', MAX_ECC_KEY_BYTES);
  const y = r.tpm2b('unique.y', MAX_ECC_KEY_BYTES);
  const curve = eccCurves.get(curveId);
  if (curve === undefined) throw unsupported('ECC curve', curveId);
  if (x.length > curve.bytes || y.length > curve.bytes) throw keyInvalid('the ECC point is longer than its curve');
  const pad = (c: Uint8Array): Uint8Array => {
    const out = new Uint8Array(curve.bytes);
    out.set(c, curve.bytes - c.length);
    return out;
  };
  try {
    const key = createPublicKey({
      key: { kty: 'EC', crv: curve.crv, x: b64url(pad(x)), y: b64url(pad(y)) },
      format: 'jwk',
    });
    return { type: 'ecc', scheme, key };
  } catch (cause) {
    throw keyInvalid('the ECC point is not on its curve', cause);
  }
}

function readRsa(r: TpmReader): Pick<TpmPublicKey, 'type' | 'scheme' | 'key'> {
  // §12.2.3.5 TPMS_RSA_PARMS: symmetric (read), scheme, keyBits, exponent; then TPM2B_PUBLIC_KEY_RSA.
  const schemeId = r.uint16('parameters.scheme');
  let scheme: TpmPublicKey['scheme'];
  if (schemeId === TPM_ALG.RSASSA || schemeId === TPM_ALG.RSAPSS)
    scheme = {
      scheme: schemeId === TPM_ALG.RSASSA ? 'rsassa' : 'rsapss',
      hash: readSigningHash(r, 'parameters.scheme.hashAlg'),
    };
  else if (schemeId !== TPM_ALG.NULL) throw unsupported('RSA scheme', schemeId);
  const keyBits = r.uint16('parameters.keyBits');
  const exponent = r.uint32('parameters.exponent');
  const modulus = r.tpm2b('unique.rsa', MAX_RSA_KEY_BYTES);
  if (![2048, 3072, 4096].includes(keyBits)) throw unsupported('RSA key size', keyBits);
  if (modulus.length * 8 !== keyBits) throw keyInvalid(`the modulus is not ${keyBits} bits`);
  // §12.2.3.5: exponent 0 means the default 2^16 + 1.
  const e = exponent === 0 ? 65537 : exponent;
  const eBytes = new Uint8Array([e >>> 24, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff]);
  const firstNonZero = eBytes.findIndex((b) => b !== 0);
  try {
    const key = createPublicKey({
      key: { kty: 'RSA', n: b64url(modulus), e: b64url(eBytes.subarray(firstNonZero)) },
      format: 'jwk',
    });
    return { type: 'rsa', scheme, key };
  } catch (cause) {
    throw keyInvalid('the RSA modulus and exponent are not a public key', cause);
  }
}
