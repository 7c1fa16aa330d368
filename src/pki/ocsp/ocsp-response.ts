import { OCSPResponse, OCSPResponseStatus, type ResponseBytes } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { createHash, createPublicKey } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { revocationReasonCode, type RevocationReason } from '../../core/revocation-reason.ts';
import type { Signer } from '../../crypto/signer.ts';
import type { OcspCertRequest } from './ocsp-request.ts';
import { DER_BIT_STRING, DER_OCTET_STRING, DER_SEQUENCE, derConcat, derContext, derElement, derGeneralizedTime } from '../der/der-writer.ts';

export type OcspCertStatus =
  { kind: 'good' } | { kind: 'revoked'; revokedAt: Date; reason: RevocationReason } | { kind: 'unknown' };

export interface OcspSingle {
  request: OcspCertRequest;
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate: Date;
}

export interface OcspResponderIdentity {
  signer: Signer;
  /** The responder's certificate: a delegated responder's (RFC 6960 §4.2.2.2) or the CA's own. */
  certDer: Uint8Array;
  /** Put certDer into BasicOCSPResponse.certs; needed for a delegated responder, so clients can verify. */
  includeCert: boolean;
}

/**
 * A responder made ready once (per CA, not per answer): its certificate parsed and checked against
 * its key, and the parts of every answer that never change (responderID, signatureAlgorithm,
 * certs) encoded. Answers are then assembled from DER parts (der-writer.ts): ~µs, not the ASN.1
 * library's object tree per answer.
 */
export interface PreparedResponder {
  signer: Signer;
  /** ResponderID byKey ([2] EXPLICIT KeyHash), RFC 6960 §4.2.2.3 */
  responderIdDer: Uint8Array;
  signatureAlgorithmDer: Uint8Array;
  /** [0] EXPLICIT SEQUENCE OF Certificate, or nothing */
  certsDer: Uint8Array | undefined;
}

export function prepareResponder(responder: OcspResponderIdentity): PreparedResponder {
  const cert = parseResponderCert(responder);
  // §4.2.2.3 byKey: SHA-1 of the value of the BIT STRING subjectPublicKey (no tag, length or unused-bits octet).
  const keyHash = sha1(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  return {
    signer: responder.signer,
    responderIdDer: derConcat(derElement(derContext(2), derElement(DER_OCTET_STRING, [keyHash]))),
    signatureAlgorithmDer: new Uint8Array(AsnConvert.serialize(algorithmIdentifier(responder.signer))),
    certsDer: responder.includeCert ? derConcat(derElement(derContext(0), derElement(DER_SEQUENCE, [responder.certDer]))) : undefined,
  };
}

/** Builds a signed, successful OCSPResponse carrying a BasicOCSPResponse (RFC 6960 §4.2.1). */
export async function buildOcspResponse(args: {
  responder: OcspResponderIdentity | PreparedResponder;
  responses: OcspSingle[];
  nonce: Uint8Array | undefined;
  producedAt: Date;
}): Promise<Uint8Array> {
  const responder = 'responderIdDer' in args.responder ? args.responder : prepareResponder(args.responder);
  const extensions: Uint8Array[] = [];
  // RFC 9654 §2.1 / RFC 6960 §4.4.1: echo the request's nonce, byte for byte.
  if (args.nonce !== undefined) extensions.push(...derElement(derContext(1), derElement(DER_SEQUENCE, derElement(DER_SEQUENCE, [NONCE_OID, ...derElement(DER_OCTET_STRING, [args.nonce])]))));
  // ResponseData (§4.2.1): version v1 is the DEFAULT, so DER leaves it out.
  const tbs = derConcat(
    derElement(DER_SEQUENCE, [
      responder.responderIdDer,
      derGeneralizedTime(args.producedAt),
      ...derElement(DER_SEQUENCE, args.responses.map(singleResponseDer)),
      ...extensions,
    ]),
  );
  const signature = await responder.signer.sign(tbs);
  const basic = derElement(DER_SEQUENCE, [
    tbs,
    responder.signatureAlgorithmDer,
    ...derElement(DER_BIT_STRING, [Uint8Array.of(0), signature]),
    ...(responder.certsDer ? [responder.certsDer] : []),
  ]);
  // OCSPResponse { responseStatus successful, responseBytes [0] EXPLICIT { id-pkix-ocsp-basic, OCTET STRING } }
  return derConcat(
    derElement(DER_SEQUENCE, [SUCCESSFUL, ...derElement(derContext(0), derElement(DER_SEQUENCE, [OCSP_BASIC_OID, ...derElement(DER_OCTET_STRING, basic)]))]),
  );
}

const SUCCESSFUL = Uint8Array.of(0x0a, 0x01, 0x00);
// id-pkix-ocsp-basic 1.3.6.1.5.5.7.48.1.1 and id-pkix-ocsp-nonce 1.3.6.1.5.5.7.48.1.2, as DER OIDs.
const OCSP_BASIC_OID = Uint8Array.of(0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01);
const NONCE_OID = Uint8Array.of(0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02);

/** An unsuccessful OCSPResponse: status only, no responseBytes and no signature (RFC 6960 §2.3). */
export function buildOcspErrorResponse(
  status: 'malformedRequest' | 'internalError' | 'tryLater' | 'unauthorized',
): Uint8Array {
  return serializeResponse(OCSPResponseStatus[status], undefined);
}

function serializeResponse(responseStatus: OCSPResponseStatus, responseBytes: ResponseBytes | undefined): Uint8Array {
  const response = new OCSPResponse({ responseStatus });
  if (responseBytes) response.responseBytes = responseBytes;
  return new Uint8Array(AsnConvert.serialize(response));
}

/** SingleResponse (§4.2.1): the CertID as the client sent it, its status, thisUpdate, nextUpdate. */
function singleResponseDer(single: OcspSingle): Uint8Array {
  // §4.2.2.1: nextUpdate after thisUpdate; a response that is never fresh helps no one.
  if (!(single.nextUpdate.getTime() > single.thisUpdate.getTime())) internal('nextUpdate must be later than thisUpdate');
  return derConcat(
    derElement(DER_SEQUENCE, [
      single.request.certIdDer,
      certStatusDer(single.status),
      derGeneralizedTime(wholeSeconds(single.thisUpdate)),
      ...derElement(derContext(0), [derGeneralizedTime(wholeSeconds(single.nextUpdate))]),
    ]),
  );
}

// §4.2.1 CertStatus (IMPLICIT tags); §2.2: a certificate on hold is "revoked" with reason certificateHold.
function certStatusDer(status: OcspCertStatus): Uint8Array {
  switch (status.kind) {
    case 'good':
      return Uint8Array.of(0x80, 0x00);
    case 'unknown':
      return Uint8Array.of(0x82, 0x00);
    case 'revoked': {
      if (status.reason === 'removeFromCRL') internal('removeFromCRL is not a revocation status');
      const info: Uint8Array[] = [derGeneralizedTime(wholeSeconds(status.revokedAt))];
      // As in CRLs (RFC 5280 §5.3.1), unspecified is said by leaving the reason out.
      if (status.reason !== 'unspecified') info.push(...derElement(derContext(0), [Uint8Array.of(0x0a, 0x01, revocationReasonCode(status.reason))]));
      // revoked [1] IMPLICIT RevokedInfo: the SEQUENCE's tag becomes context-specific constructed 1.
      return derConcat(derElement(derContext(1), info));
    }
  }
}

function parseResponderCert(responder: OcspResponderIdentity): Certificate {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(responder.certDer, Certificate);
  } catch (cause) {
    throw new TrustplaneError('INTERNAL', 'the OCSP responder certificate cannot be parsed', { cause });
  }
  // The certificate is re-encoded into `certs`; its signature only survives an exact round trip.
  if (!Buffer.from(AsnConvert.serialize(cert)).equals(responder.certDer))
    internal('the OCSP responder certificate is not DER');
  const certKey = createPublicKey({
    key: Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)),
    format: 'der',
    type: 'spki',
  });
  const signerKey = createPublicKey({ key: Buffer.from(responder.signer.spki), format: 'der', type: 'spki' });
  if (!certKey.equals(signerKey)) internal("the OCSP signer's key is not the responder certificate's key");
  return cert;
}

function algorithmIdentifier(signer: Signer): AlgorithmIdentifier {
  // RFC 4055 §5: RSA PKCS#1 v1.5 carries NULL parameters; RFC 5758 §3.2 / RFC 8410 §3: ECDSA and EdDSA omit them.
  const { oid, nullParameters } = signer.signatureAlgorithm;
  return nullParameters
    ? new AlgorithmIdentifier({ algorithm: oid, parameters: null })
    : new AlgorithmIdentifier({ algorithm: oid });
}

/** GeneralizedTime in OCSP carries no fractional seconds (RFC 6960 §4.2.2.1 via RFC 5280 §4.1.2.5.2). */
function wholeSeconds(d: Date): Date {
  if (Number.isNaN(d.getTime())) internal('invalid time');
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function sha1(bytes: ArrayBuffer): Uint8Array {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(bytes)).digest());
}

function internal(message: string): never {
  throw new TrustplaneError('INTERNAL', message);
}
