import { id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { contents, expectTag, readBoolean, readChildren, readElement, readOid, whole, type DerElement } from '../der/der-reader.ts';
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
 * Parses an OCSPRequest (RFC 6960 §4.1.1) sent by an untrusted client, with a strict DER reader
 * (der-reader.ts; the ASN.1 library costs ~370 µs a request, most of a responder's budget). Any
 * problem throws TrustplaneError('OCSP_MALFORMED_REQUEST'); the caller answers malformedRequest
 * (§2.3). A request signature (optionalSignature) is ignored: this responder does not require one
 * (§4.1.2). ocsp-request.test.ts holds the reading equal to @peculiar/asn1-ocsp's on generated
 * requests, and never looser on mutated ones.
 *
 *   OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
 *   TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, requestorName [1] EXPLICIT GeneralName OPTIONAL,
 *                             requestList SEQUENCE OF Request, requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 *   Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
export function parseOcspRequest(untrustedDer: Uint8Array): ParsedOcspRequest {
  if (untrustedDer.length === 0 || untrustedDer.length > MAX_OCSP_REQUEST_BYTES)
    malformed(`request must be 1 to ${MAX_OCSP_REQUEST_BYTES} bytes`);
  try {
    return readRequest(untrustedDer);
  } catch (cause) {
    if (cause instanceof TrustplaneError) throw cause;
    throw new TrustplaneError('OCSP_MALFORMED_REQUEST', 'request is not a DER OCSPRequest', { cause });
  }
}

function readRequest(der: Uint8Array): ParsedOcspRequest {
  // The whole input must be exactly one element: no trailing bytes smuggled after it.
  const outer = expectTag(readElement(der, 0, der.length), SEQUENCE, 'OCSPRequest');
  if (outer.end !== der.length) malformed('request is not a single ASN.1 element');
  const [tbs, signature, ...rest] = readChildren(der, outer);
  if (rest.length > 0 || (signature && signature.tag !== 0xa0)) malformed('unexpected element after tbsRequest');
  const fields = readChildren(der, expectTag(tbs, SEQUENCE, 'TBSRequest'));
  let i = 0;
  if (fields[i]?.tag === 0xa0) {
    // §4.1.1: v1 only; DER leaves the DEFAULT out, but an explicit v1 (0) is read as v1.
    const [version, ...extra] = readChildren(der, fields[i++]!);
    const value = contents(der, expectTag(version, INTEGER, 'version'));
    if (extra.length > 0 || value.length !== 1 || value[0] !== 0) malformed('unsupported request version');
  }
  if (fields[i]?.tag === 0xa1) i++; // requestorName: not used
  const list = readChildren(der, expectTag(fields[i++], SEQUENCE, 'requestList'));
  const extensions = fields[i]?.tag === 0xa2 ? readExtensionsIn(der, fields[i++]!) : [];
  if (i !== fields.length) malformed('unexpected element in tbsRequest');
  if (list.length === 0 || list.length > MAX_OCSP_CERT_REQUESTS) malformed(`request must name 1 to ${MAX_OCSP_CERT_REQUESTS} certificates`);

  let nonce: Uint8Array | undefined;
  for (const ext of extensions) {
    if (ext.id === id_pkix_ocsp_nonce) {
      if (nonce !== undefined) malformed('more than one nonce');
      nonce = checkedNonce(ext.value);
    } else if (ext.critical) {
      // §4.4: unrecognised extensions are ignored unless they are critical.
      malformed('unsupported critical request extension');
    }
  }
  const requests = list.map((request) => {
    const [certId, singleExtensions, ...more] = readChildren(der, expectTag(request, SEQUENCE, 'Request'));
    if (more.length > 0 || (singleExtensions && singleExtensions.tag !== 0xa0)) malformed('unexpected element in Request');
    if (singleExtensions && readExtensionsIn(der, singleExtensions).some((e) => e.critical)) malformed('unsupported critical single-request extension');
    return readCertId(der, expectTag(certId, SEQUENCE, 'CertID'));
  });
  return { requests, nonce };
}

/** CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING, serialNumber INTEGER } */
function readCertId(der: Uint8Array, certId: DerElement): OcspCertRequest {
  const [algorithm, nameHash, keyHash, serial, ...more] = readChildren(der, certId);
  if (more.length > 0) malformed('unexpected element in CertID');
  const [oid, parameters, ...extra] = readChildren(der, expectTag(algorithm, SEQUENCE, 'AlgorithmIdentifier'));
  if (extra.length > 0 || (parameters && (parameters.tag !== NULL_TAG || parameters.end !== parameters.contentStart))) malformed('unexpected hash algorithm parameters');
  const serialElement = expectTag(serial, INTEGER, 'serialNumber');
  if (serialElement.end === serialElement.contentStart) malformed('empty serialNumber');
  return {
    hashAlgorithmOid: readOid(der, expectTag(oid, OID, 'hash algorithm')),
    issuerNameHash: contents(der, expectTag(nameHash, OCTET_STRING, 'issuerNameHash')),
    issuerKeyHash: contents(der, expectTag(keyHash, OCTET_STRING, 'issuerKeyHash')),
    serial: contents(der, serialElement),
    certIdDer: whole(der, certId),
  };
}

/** [n] EXPLICIT Extensions; Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtensionsIn(der: Uint8Array, wrapper: DerElement): { id: string; critical: boolean; value: Uint8Array }[] {
  const [list, ...more] = readChildren(der, wrapper);
  if (more.length > 0) malformed('unexpected element after Extensions');
  return readChildren(der, expectTag(list, SEQUENCE, 'Extensions')).map((extension) => {
    const parts = readChildren(der, expectTag(extension, SEQUENCE, 'Extension'));
    if (parts.length < 2 || parts.length > 3) malformed('malformed Extension');
    const critical = parts.length === 3 ? readBoolean(der, parts[1]!) : false;
    return { id: readOid(der, expectTag(parts[0], OID, 'extnID')), critical, value: contents(der, expectTag(parts.at(-1), OCTET_STRING, 'extnValue')) };
  });
}

/** The fields of a CertID we kept ourselves (its DER, from an earlier parse). */
export function certIdFields(certIdDer: Uint8Array): OcspCertRequest {
  try {
    return readCertId(certIdDer, expectTag(readElement(certIdDer, 0, certIdDer.length), SEQUENCE, 'CertID'));
  } catch (cause) {
    if (cause instanceof TrustplaneError) throw cause;
    throw new TrustplaneError('OCSP_MALFORMED_REQUEST', 'not a DER CertID', { cause });
  }
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OID = 0x06;
const NULL_TAG = 0x05;

// RFC 9654 §2.1: extnValue holds the DER of `Nonce ::= OCTET STRING (SIZE(1..128))`.
function checkedNonce(extnValue: Uint8Array): Uint8Array {
  let inner: DerElement;
  try {
    inner = expectTag(readElement(extnValue, 0, extnValue.length), OCTET_STRING, 'nonce');
    if (inner.end !== extnValue.length) malformed('nonce is not one OCTET STRING');
  } catch (cause) {
    if (cause instanceof TrustplaneError) throw cause;
    throw new TrustplaneError('OCSP_MALFORMED_REQUEST', 'nonce is not an OCTET STRING', { cause });
  }
  const n = inner.end - inner.contentStart;
  if (n < MIN_NONCE_OCTETS || n > MAX_NONCE_OCTETS)
    malformed(`nonce must be ${MIN_NONCE_OCTETS} to ${MAX_NONCE_OCTETS} octets`);
  return extnValue;
}

function malformed(message: string): never {
  throw new TrustplaneError('OCSP_MALFORMED_REQUEST', message);
}
