import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';
import { TrustplaneError, isTrustplaneError } from '../../core/errors.ts';
import { parseOcspRequest, type OcspCertRequest } from './ocsp-request.ts';
import {
  buildOcspErrorResponse,
  buildOcspResponse,
  type OcspCertStatus,
  type OcspResponderIdentity,
  type PreparedResponder,
  type OcspSingle,
} from './ocsp-response.ts';

export interface OcspIssuer {
  /** The issuing CA's certificate. */
  certDer: Uint8Array;
}

// CertID hash algorithms answered (RFC 6960 §4.1.1 names SHA-1; RFC 5019 / common clients also use SHA-2).
const hashByOid: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);

interface IssuerIdentity {
  subjectDer: Uint8Array;
  /** Contents of the subjectPublicKey BIT STRING, without the unused-bits octet. */
  subjectPublicKey: Uint8Array;
}

/**
 * RFC 6960 §4.1.1: a CertID names `issuer` when issuerNameHash = H(issuer subject DER) and
 * issuerKeyHash = H(issuer subjectPublicKey BIT STRING value). An unknown H names no issuer of ours.
 */
export function certIdMatchesIssuer(req: OcspCertRequest, issuer: OcspIssuer | PreparedIssuer): boolean {
  return matches(req, prepared(issuer));
}

/** An issuer made ready once: its name and key hashed under every CertID hash we answer. */
export interface PreparedIssuer {
  hashes: ReadonlyMap<string, { nameHash: Buffer; keyHash: Buffer }>;
}

export function prepareIssuer(issuer: OcspIssuer): PreparedIssuer {
  const identity = issuerIdentity(issuer);
  const hashes = new Map<string, { nameHash: Buffer; keyHash: Buffer }>();
  for (const [oid, hash] of hashByOid) {
    hashes.set(oid, { nameHash: createHash(hash).update(identity.subjectDer).digest(), keyHash: createHash(hash).update(identity.subjectPublicKey).digest() });
  }
  return { hashes };
}

function prepared(issuer: OcspIssuer | PreparedIssuer): PreparedIssuer {
  return 'hashes' in issuer ? issuer : prepareIssuer(issuer);
}

/**
 * The serial as `lookup` receives it: lowercase hex of the unsigned value with leading zero
 * octets dropped (so a DER pad byte goes: 00 8f 01 -> "8f01"; 05 -> "05"). Undefined when the
 * CertID's INTEGER is not a positive serial of at most 20 octets (RFC 5280 §4.1.2.2): no certificate has it.
 */
export function ocspSerialHex(serial: Uint8Array): string | undefined {
  if (serial.length === 0 || (serial[0] ?? 0) & 0x80) return undefined; // empty or negative
  let start = 0;
  while (start < serial.length && serial[start] === 0) start++;
  const magnitude = serial.subarray(start);
  const encodedLength = magnitude.length + ((magnitude[0] ?? 0) & 0x80 ? 1 : 0);
  if (magnitude.length === 0 || encodedLength > 20) return undefined;
  return Buffer.from(magnitude).toString('hex');
}

/**
 * Answers one OCSP request (RFC 6960 §2.1-2.3) for certificates of `issuer`. Never throws:
 * a malformed request gets malformedRequest; a CertID of another issuer gets `unknown`; a lookup
 * or signing failure gets internalError (fail closed, never `good`) and is passed to onInternalError.
 */
export async function respondOcsp(args: {
  requestDer: Uint8Array;
  issuer: OcspIssuer | PreparedIssuer;
  responder: OcspResponderIdentity | PreparedResponder;
  now: Date;
  validitySeconds: number;
  lookup: (serialHex: string) => Promise<OcspCertStatus>;
  onInternalError?: (cause: unknown) => void;
}): Promise<Uint8Array> {
  let parsed;
  try {
    parsed = parseOcspRequest(args.requestDer);
  } catch (cause) {
    if (isTrustplaneError(cause) && cause.code === 'OCSP_MALFORMED_REQUEST')
      return buildOcspErrorResponse('malformedRequest');
    args.onInternalError?.(cause);
    return buildOcspErrorResponse('internalError');
  }
  try {
    if (!Number.isFinite(args.validitySeconds) || args.validitySeconds <= 0)
      throw new TrustplaneError('INTERNAL', 'validitySeconds must be positive');
    const issuer = prepared(args.issuer);
    const thisUpdate = args.now;
    const nextUpdate = new Date(args.now.getTime() + args.validitySeconds * 1000);
    const responses: OcspSingle[] = [];
    for (const request of parsed.requests) {
      responses.push({ request, status: await statusOf(request, issuer, args.lookup), thisUpdate, nextUpdate });
    }
    return await buildOcspResponse({ responder: args.responder, responses, nonce: parsed.nonce, producedAt: args.now });
  } catch (cause) {
    args.onInternalError?.(cause);
    return buildOcspErrorResponse('internalError');
  }
}

async function statusOf(
  request: OcspCertRequest,
  issuer: PreparedIssuer,
  lookup: (serialHex: string) => Promise<OcspCertStatus>,
): Promise<OcspCertStatus> {
  // §2.2: "unknown" when the responder does not know about the certificate, e.g. another CA's.
  if (!matches(request, issuer)) return { kind: 'unknown' };
  const serialHex = ocspSerialHex(request.serial);
  if (serialHex === undefined) return { kind: 'unknown' };
  const status = await lookup(serialHex);
  if (status.kind !== 'good' && status.kind !== 'revoked' && status.kind !== 'unknown') {
    throw new TrustplaneError('INTERNAL', 'the revocation source returned no status');
  }
  return status;
}

function matches(req: OcspCertRequest, issuer: PreparedIssuer): boolean {
  const h = issuer.hashes.get(req.hashAlgorithmOid);
  return h !== undefined && h.nameHash.equals(req.issuerNameHash) && h.keyHash.equals(req.issuerKeyHash);
}

function issuerIdentity(issuer: OcspIssuer): IssuerIdentity {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(issuer.certDer, Certificate);
  } catch (cause) {
    throw new TrustplaneError('INTERNAL', 'the OCSP issuer certificate cannot be parsed', { cause });
  }
  return {
    subjectDer: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subject)),
    subjectPublicKey: new Uint8Array(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
  };
}
