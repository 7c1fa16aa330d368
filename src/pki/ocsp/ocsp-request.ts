import { CertID as CertIDSchema, OCSPRequest, Version, id_pkix_ocsp_nonce, type CertID } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { fromBER } from 'asn1js';
import { TrustplaneError } from '../../core/errors.ts';

/** One CertID of a request (RFC 6960 §4.1.1), with its DER to echo back in the response. */
export interface OcspCertRequest {
  hashAlgorithmOid: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** The INTEGER's content octets as sent (a 00 pad byte included, if any). */
  serial: Uint8Array;
  /** DER of the CertID; RFC 6960 §4.2.1 responses name the certificate by the same CertID. */
  certIdDer: Uint8Array;
}

export interface ParsedOcspRequest {
  requests: OcspCertRequest[];
  /** The raw extnValue content of id-pkix-ocsp-nonce (a DER OCTET STRING), to echo. */
  nonce: Uint8Array | undefined;
}

/** Attacker-controlled input: bounded before any parsing. */
export const MAX_OCSP_REQUEST_BYTES = 64 * 1024;
/** More CertIDs than this in one request is abuse, not a use case. */
export const MAX_OCSP_CERT_REQUESTS = 32;
// RFC 9654 §2.1 (updating RFC 6960 §4.4.1): a Nonce is an OCTET STRING of 1 to 128 octets.
const MIN_NONCE_OCTETS = 1;
const MAX_NONCE_OCTETS = 128;

/**
 * Parses an OCSPRequest (RFC 6960 §4.1.1) sent by an untrusted client. Any problem throws
 * TrustplaneError('OCSP_MALFORMED_REQUEST'); the caller answers malformedRequest (§2.3).
 * A request signature (optionalSignature) is ignored: this responder does not require one (§4.1.2).
 */
export function parseOcspRequest(untrustedDer: Uint8Array): ParsedOcspRequest {
  if (untrustedDer.length === 0 || untrustedDer.length > MAX_OCSP_REQUEST_BYTES)
    malformed(`request must be 1 to ${MAX_OCSP_REQUEST_BYTES} bytes`);
  let request: OCSPRequest;
  try {
    // The whole input must be exactly one ASN.1 element: no trailing bytes smuggled after it.
    const outer = fromBER(untrustedDer);
    if (outer.offset !== untrustedDer.length || outer.result.error !== '')
      malformed('request is not a single ASN.1 element');
    request = AsnConvert.parse(untrustedDer, OCSPRequest);
  } catch (cause) {
    if (cause instanceof TrustplaneError) throw cause;
    throw new TrustplaneError('OCSP_MALFORMED_REQUEST', 'request is not a DER OCSPRequest', { cause });
  }

  const tbs = request.tbsRequest;
  if (tbs.version !== Version.v1) malformed('unsupported request version'); // §4.1.1: v1 only
  const list = tbs.requestList;
  if (list.length === 0 || list.length > MAX_OCSP_CERT_REQUESTS)
    malformed(`request must name 1 to ${MAX_OCSP_CERT_REQUESTS} certificates`);

  let nonce: Uint8Array | undefined;
  for (const ext of tbs.requestExtensions ?? []) {
    if (ext.extnID === id_pkix_ocsp_nonce) {
      if (nonce !== undefined) malformed('more than one nonce');
      nonce = checkedNonce(new Uint8Array(ext.extnValue.buffer));
    } else if (ext.critical) {
      // §4.4: unrecognised extensions are ignored unless they are critical.
      malformed('unsupported critical request extension');
    }
  }
  for (const r of list) {
    if (r.singleRequestExtensions?.some((e) => e.critical)) malformed('unsupported critical single-request extension');
  }
  return { requests: list.map((r) => certRequest(r.reqCert)), nonce };
}

/** The fields of a CertID we made or kept ourselves (its DER, from an earlier parse). */
export function certIdFields(certIdDer: Uint8Array): OcspCertRequest {
  return { ...certRequest(AsnConvert.parse(certIdDer, CertIDSchema)), certIdDer };
}

function certRequest(certId: CertID): OcspCertRequest {
  return {
    hashAlgorithmOid: certId.hashAlgorithm.algorithm,
    issuerNameHash: new Uint8Array(certId.issuerNameHash.buffer),
    issuerKeyHash: new Uint8Array(certId.issuerKeyHash.buffer),
    serial: new Uint8Array(certId.serialNumber),
    certIdDer: new Uint8Array(AsnConvert.serialize(certId)),
  };
}

// RFC 9654 §2.1: extnValue holds the DER of `Nonce ::= OCTET STRING (SIZE(1..128))`.
function checkedNonce(extnValue: Uint8Array): Uint8Array {
  let inner: OctetString;
  try {
    inner = AsnConvert.parse(extnValue, OctetString);
  } catch (cause) {
    throw new TrustplaneError('OCSP_MALFORMED_REQUEST', 'nonce is not an OCTET STRING', { cause });
  }
  const n = inner.byteLength;
  if (n < MIN_NONCE_OCTETS || n > MAX_NONCE_OCTETS)
    malformed(`nonce must be ${MIN_NONCE_OCTETS} to ${MAX_NONCE_OCTETS} octets`);
  return extnValue;
}

function malformed(message: string): never {
  throw new TrustplaneError('OCSP_MALFORMED_REQUEST', message);
}
