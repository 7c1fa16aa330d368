import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  KeyHash,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReason, Extension } from '@peculiar/asn1-x509';
import { createHash, createPublicKey } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { revocationReasonCode, type RevocationReason } from '../../core/revocation-reason.ts';
import type { Signer } from '../../crypto/signer.ts';
import type { OcspCertRequest } from './ocsp-request.ts';

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

/** Builds a signed, successful OCSPResponse carrying a BasicOCSPResponse (RFC 6960 §4.2.1). */
export async function buildOcspResponse(args: {
  responder: OcspResponderIdentity;
  responses: OcspSingle[];
  nonce: Uint8Array | undefined;
  producedAt: Date;
}): Promise<Uint8Array> {
  const { responder } = args;
  const cert = parseResponderCert(responder);
  const tbsResponseData = new ResponseData({
    // §4.2.2.3 byKey: SHA-1 of the value of the BIT STRING subjectPublicKey (no tag, length or unused-bits octet).
    responderID: new ResponderID({
      byKey: new KeyHash(sha1(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)),
    }),
    producedAt: wholeSeconds(args.producedAt),
    responses: args.responses.map(singleResponse),
  });
  // RFC 9654 §2.1 / RFC 6960 §4.4.1: echo the request's nonce, byte for byte.
  if (args.nonce !== undefined) {
    tbsResponseData.responseExtensions = [
      new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(args.nonce) }),
    ];
  }

  const signature = await responder.signer.sign(new Uint8Array(AsnConvert.serialize(tbsResponseData)));
  const basic = new BasicOCSPResponse({
    tbsResponseData,
    signatureAlgorithm: algorithmIdentifier(responder.signer),
    signature: signature.slice().buffer,
  });
  if (responder.includeCert) basic.certs = [cert];
  return serializeResponse(
    OCSPResponseStatus.successful,
    new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
  );
}

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

function singleResponse(single: OcspSingle): SingleResponse {
  // §4.2.2.1: nextUpdate after thisUpdate; a response that is never fresh helps no one.
  if (!(single.nextUpdate.getTime() > single.thisUpdate.getTime()))
    internal('nextUpdate must be later than thisUpdate');
  return new SingleResponse({
    certID: AsnConvert.parse(single.request.certIdDer, CertID), // §4.2.1: the CertID as the client sent it
    certStatus: certStatus(single.status),
    thisUpdate: wholeSeconds(single.thisUpdate),
    nextUpdate: wholeSeconds(single.nextUpdate),
  });
}

// §4.2.1 CertStatus; §2.2: a certificate on hold is "revoked" with reason certificateHold.
function certStatus(status: OcspCertStatus): CertStatus {
  switch (status.kind) {
    case 'good':
      return new CertStatus({ good: null });
    case 'unknown':
      return new CertStatus({ unknown: null });
    case 'revoked': {
      if (status.reason === 'removeFromCRL') internal('removeFromCRL is not a revocation status');
      const info = new RevokedInfo({ revocationTime: wholeSeconds(status.revokedAt) });
      // As in CRLs (RFC 5280 §5.3.1), unspecified is said by leaving the reason out.
      if (status.reason !== 'unspecified') info.revocationReason = new CRLReason(revocationReasonCode(status.reason));
      return new CertStatus({ revoked: info });
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
