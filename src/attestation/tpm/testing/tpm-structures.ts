import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { pcrSelectionBytes, type PcrBankSelection } from '../pcr-selection.ts';
import {
  TPM_ALG,
  TPM_ECC_CURVE,
  TPM_GENERATED_VALUE,
  TPM_ST_ATTEST_QUOTE,
  TPMA_OBJECT,
  tpmHashId,
  type TpmHashName,
} from '../tpm-constants.ts';
import { endorsementQualifiedName, qualifiedName, tpmName } from '../tpm-name.ts';
import type { TpmsAttest } from '../tpms-attest.ts';
import type { TpmtSignature } from '../tpmt-signature.ts';
import { TpmWriter } from './tpm-writer.ts';

/** The inverse of parseTpmsAttest, for a quote; every field free so a test can tamper with each. */
export function encodeTpmsAttest(a: TpmsAttest): Uint8Array {
  const w = new TpmWriter()
    .uint32(a.magic)
    .uint16(a.type)
    .tpm2b(a.qualifiedSigner)
    .tpm2b(a.extraData)
    .uint64(a.clockInfo.clock)
    .uint32(a.clockInfo.resetCount)
    .uint32(a.clockInfo.restartCount)
    .uint8(a.clockInfo.safe ? 1 : 0)
    .uint64(a.firmwareVersion);
  if (a.quote !== undefined) w.bytes(pcrSelectionBytes(a.quote.pcrSelect)).tpm2b(a.quote.pcrDigest);
  return w.done();
}

export function encodeTpmtSignature(s: TpmtSignature): Uint8Array {
  const w = new TpmWriter();
  if (s.scheme === 'ecdsa') return w.uint16(TPM_ALG.ECDSA).uint16(tpmHashId(s.hash)).tpm2b(s.r).tpm2b(s.s).done();
  return w
    .uint16(s.scheme === 'rsassa' ? TPM_ALG.RSASSA : TPM_ALG.RSAPSS)
    .uint16(tpmHashId(s.hash))
    .tpm2b(s.sig)
    .done();
}

/** The attributes tpm2_createak gives an AK: fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, restricted, sign. */
export const AK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  0x40 |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.sign;

/** A TPM2B_PUBLIC for a P-256 ECDSA-SHA256 key, as tpm2_createak -G ecc -g sha256 -s ecdsa writes it. */
export function encodeEccPublic(key: KeyObject, attributes: number = AK_ATTRIBUTES): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const area = new TpmWriter()
    .uint16(TPM_ALG.ECC)
    .uint16(TPM_ALG.SHA256)
    .uint32(attributes)
    .tpm2b(new Uint8Array(0))
    .uint16(TPM_ALG.NULL)
    .uint16(TPM_ALG.ECDSA)
    .uint16(TPM_ALG.SHA256)
    .uint16(TPM_ECC_CURVE.NIST_P256)
    .uint16(TPM_ALG.NULL)
    .tpm2b(Buffer.from(jwk.x ?? '', 'base64url'))
    .tpm2b(Buffer.from(jwk.y ?? '', 'base64url'))
    .done();
  return new TpmWriter().tpm2b(area).done();
}

/** A TPM2B_PUBLIC for an RSA-2048 RSASSA-SHA256 key (tpm2_createak -G rsa -g sha256 -s rsassa). */
export function encodeRsaPublic(
  key: KeyObject,
  scheme: 'rsassa' | 'rsapss' = 'rsassa',
  attributes: number = AK_ATTRIBUTES,
): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const n = Buffer.from(jwk.n ?? '', 'base64url');
  const area = new TpmWriter()
    .uint16(TPM_ALG.RSA)
    .uint16(TPM_ALG.SHA256)
    .uint32(attributes)
    .tpm2b(new Uint8Array(0))
    .uint16(TPM_ALG.NULL)
    .uint16(scheme === 'rsassa' ? TPM_ALG.RSASSA : TPM_ALG.RSAPSS)
    .uint16(TPM_ALG.SHA256)
    .uint16(n.length * 8)
    .uint32(0)
    .tpm2b(n)
    .done();
  return new TpmWriter().tpm2b(area).done();
}

/** A TPM2B_PUBLIC of an ECC P-256 EK as the TCG default template makes it (restricted decrypt, AES-128-CFB, policy-only). */
export function encodeEccEndorsementKey(key: KeyObject, attributes = 0x000300b2): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return encodeEkArea(Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url'), attributes);
}

/** The same layout with any point, on the curve or not. */
export function encodeEkArea(x: Uint8Array, y: Uint8Array, attributes = 0x000300b2): Uint8Array {
  const area = new TpmWriter()
    .uint16(TPM_ALG.ECC)
    .uint16(TPM_ALG.SHA256)
    .uint32(attributes)
    .tpm2b(new Uint8Array(32))
    .uint16(0x0006) // AES
    .uint16(128)
    .uint16(0x0043) // CFB
    .uint16(TPM_ALG.NULL)
    .uint16(TPM_ECC_CURVE.NIST_P256)
    .uint16(TPM_ALG.NULL)
    .tpm2b(x)
    .tpm2b(y)
    .done();
  return new TpmWriter().tpm2b(area).done();
}

/** A software stand-in for a TPM's keys, for unit tests of the parser and verifier only (the acceptance tests use swtpm). */
export interface SoftwareTpm {
  readonly ekPublic: Uint8Array;
  readonly akPublic: Uint8Array;
  readonly akPrivate: KeyObject;
  readonly akQualifiedName: Uint8Array;
}

export function softwareTpm(): SoftwareTpm {
  const ek = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ak = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ekPublic = encodeEccEndorsementKey(ek.publicKey);
  const akPublic = encodeEccPublic(ak.publicKey);
  const name = (p: Uint8Array): Uint8Array => tpmName(TPM_ALG.SHA256, p.subarray(2));
  return {
    ekPublic,
    akPublic,
    akPrivate: ak.privateKey,
    akQualifiedName: qualifiedName(endorsementQualifiedName(name(ekPublic)), name(akPublic)),
  };
}

/** The TPMS_ATTEST a TPM would produce for a quote over `pcrs` (one bank) with `nonce`. */
export function quoteAttest(
  tpm: SoftwareTpm,
  nonce: Uint8Array,
  alg: TpmHashName,
  pcrs: ReadonlyMap<number, Uint8Array>,
): TpmsAttest {
  const indices = [...pcrs.keys()].sort((a, b) => a - b);
  const h = createHash('sha256');
  for (const i of indices) h.update(pcrs.get(i) ?? new Uint8Array(0));
  const bank: PcrBankSelection = { hashAlg: tpmHashId(alg), indices };
  return {
    magic: TPM_GENERATED_VALUE,
    type: TPM_ST_ATTEST_QUOTE,
    qualifiedSigner: tpm.akQualifiedName,
    extraData: nonce,
    clockInfo: { clock: 123456n, resetCount: 1, restartCount: 0, safe: true },
    firmwareVersion: 0x2019102300163636n,
    quote: { pcrSelect: [bank], pcrDigest: new Uint8Array(h.digest()) },
  };
}

/** Signs TPMS_ATTEST bytes as the AK would: ECDSA P-256 SHA-256, r and s as TPM2B_ECC_PARAMETER. */
export function signAttest(tpm: SoftwareTpm, attest: Uint8Array): Uint8Array {
  const p1363 = sign('sha256', attest, { key: tpm.akPrivate, dsaEncoding: 'ieee-p1363' });
  return encodeTpmtSignature({ scheme: 'ecdsa', hash: 'sha256', r: p1363.subarray(0, 32), s: p1363.subarray(32) });
}
