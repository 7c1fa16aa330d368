import { createHash, verify, type KeyObject } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { TrustplaneError } from '../core/errors.ts';
import { acceptedSignatureAlgorithms, keyAlgorithmOf, namedCurveOid, publicKeyFromSpki, type KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { rememberKeyIdentifier } from './certificate-builder.ts';

/** Attacker-controlled input: a PKCS#10 request is refused beyond this size before parsing. */
export const MAX_CSR_BYTES = 16 * 1024;

/** What issuance takes from a CSR: the proven public key, nothing else (DESIGN rule 2). */
export interface VerifiedCsr {
  readonly spki: Uint8Array;
  readonly spkiSha256: Uint8Array;
  readonly keyAlgorithm: KeyAlgorithm;
  /**
   * The commonName and serialNumber values the requester put in its subject. Never copied into a
   * certificate nor a reason to refuse (DESIGN rule 2): recorded in the issuance event, ignored.
   */
  readonly subjectSerials: readonly string[];
}

const PEM_CSR = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (NEW )?CERTIFICATE REQUEST-----/;

/** Accepts PEM or base64 DER text (as EST sends it). */
export function csrDerFromText(text: string): Uint8Array {
  if (text.length > MAX_CSR_BYTES * 2) throw new TrustplaneError('CSR_MALFORMED', 'the CSR is too large');
  const m = PEM_CSR.exec(text);
  const b64 = (m ? (m[2] ?? '') : text).replace(/\s+/g, '');
  if (b64.length === 0 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new TrustplaneError('CSR_MALFORMED', 'the CSR is not PEM or base64');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * Parses a DER PKCS#10 request (RFC 2986) and checks its self-signature: the proof that the
 * requester holds the private key. The signed bytes are the request's own encoding of
 * certificationRequestInfo, sliced from the input, never a re-encoding.
 */
export function verifyCsr(der: Uint8Array): VerifiedCsr {
  const csr = parseCsr(der);
  let ok: boolean;
  try {
    ok = verify(csr.hash, csr.signedBytes, csr.verifyKey, csr.signature);
  } catch {
    ok = false;
  }
  return csr.result(ok);
}

/**
 * verifyCsr with the signature check on Node's thread pool (crypto.verify's callback form), so a
 * server checks requests on every core. The same parsing, the same checks, the same errors.
 */
export async function verifyCsrAsync(der: Uint8Array): Promise<VerifiedCsr> {
  const csr = parseCsr(der);
  const ok = await new Promise<boolean>((resolve) => {
    try {
      verify(csr.hash, csr.signedBytes, csr.verifyKey, csr.signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
  return csr.result(ok);
}

/** A parsed request whose signature is still to be checked. */
interface ParsedCsr {
  hash: string | null;
  signedBytes: Uint8Array;
  verifyKey: KeyObject;
  signature: Uint8Array;
  /** The verified request once the signature checked out; CSR_SIGNATURE_INVALID otherwise. */
  result(signatureValid: boolean): VerifiedCsr;
}

function parseCsr(der: Uint8Array): ParsedCsr {
  if (der.length > MAX_CSR_BYTES) throw new TrustplaneError('CSR_MALFORMED', 'the CSR is too large');
  let req: CertificationRequest;
  try {
    req = AsnConvert.parse(der, CertificationRequest);
  } catch (cause) {
    throw new TrustplaneError('CSR_MALFORMED', 'the CSR is not a DER PKCS#10 request', { cause });
  }
  const info = req.certificationRequestInfoRaw;
  if (!info || req.certificationRequestInfo.version !== 0) throw new TrustplaneError('CSR_MALFORMED', 'unsupported CSR version');
  const spki = new Uint8Array(AsnConvert.serialize(req.certificationRequestInfo.subjectPKInfo));
  rememberKeyIdentifier(spki, req.certificationRequestInfo.subjectPKInfo);

  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromSpki(spki);
  } catch (cause) {
    throw new TrustplaneError('CSR_ALGORITHM_UNSUPPORTED', 'the CSR public key cannot be read', { cause });
  }
  const keyAlgorithm = publicKey.asymmetricKeyType === 'ec' ? namedCurveAlgorithm(req.certificationRequestInfo.subjectPKInfo.algorithm.parameters) : keyAlgorithmOf(publicKey);
  if (!keyAlgorithm) throw new TrustplaneError('CSR_ALGORITHM_UNSUPPORTED', 'the CSR key algorithm or size is not supported');

  const subjectSerials = req.certificationRequestInfo.subject.flatMap((rdn) =>
    rdn.filter((atv) => atv.type === OID_COMMON_NAME || atv.type === OID_SERIAL_NUMBER).map((atv) => atv.value.toString()),
  );

  const sigAlg = acceptedSignatureAlgorithms.get(req.signatureAlgorithm.algorithm);
  if (!sigAlg) throw new TrustplaneError('CSR_ALGORITHM_UNSUPPORTED', 'the CSR signature algorithm is not supported');
  return {
    hash: sigAlg.hash,
    signedBytes: new Uint8Array(info),
    // ECDSA: a DER Ecdsa-Sig-Value (RFC 5758 §3.2), Node's default; the bare KeyObject is ~12 µs faster than an options object.
    verifyKey: publicKey,
    signature: new Uint8Array(req.signature),
    result(signatureValid) {
      if (!signatureValid) throw new TrustplaneError('CSR_SIGNATURE_INVALID');
      return { spki, spkiSha256: sha256(spki), keyAlgorithm, subjectSerials };
    },
  };
}

/**
 * RFC 5480 §2.1.1: an EC key's parameters are its namedCurve OID, the one form allowed, and the
 * one OpenSSL imported the key by. Read from the request rather than from Node's
 * asymmetricKeyDetails, which costs ~13 µs per CSR; any other parameters are refused.
 */
function namedCurveAlgorithm(parameters: ArrayBuffer | null | undefined): KeyAlgorithm | undefined {
  return parameters ? namedCurves.get(Buffer.from(parameters).toString('hex')) : undefined;
}

const namedCurves = new Map<string, KeyAlgorithm>(
  Object.entries(namedCurveOid).map(([algorithm, oid]) => [Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER()).toString('hex'), algorithm as KeyAlgorithm]),
);

const OID_COMMON_NAME = '2.5.4.3';
const OID_SERIAL_NUMBER = '2.5.4.5';

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

export { SubjectPublicKeyInfo };
