import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  Certificate,
  CertificateList,
  CRLReason,
  Extension,
  KeyIdentifier,
  RevokedCertificate,
  SubjectKeyIdentifier,
  TBSCertList,
  Time,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { Integer } from 'asn1js';
import { createPublicKey } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { revocationReasonCode, type RevocationReason } from '../../core/revocation-reason.ts';
import type { Signer } from '../../crypto/signer.ts';

export interface RevokedEntry {
  /** Unsigned big-endian; a DER padding byte, if present, is accepted and normalised. */
  serial: Uint8Array;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlInput {
  /** The issuer name and the AKI (from the issuer's SKI) are taken from it. */
  issuerCertDer: Uint8Array;
  /** The issuer's key. */
  signer: Signer;
  /** RFC 5280 §5.2.3 */
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly RevokedEntry[];
}

const MAX_SERIAL_OCTETS = 20; // RFC 5280 §4.1.2.2; §5.2.3 sets the same bound for CRL numbers
const MAX_CRL_NUMBER = (1n << 159n) - 1n; // largest positive INTEGER in 20 octets

/** Builds a DER-encoded v2 CRL (RFC 5280 §5.1) over `revoked`, signed by the issuer's key. */
export async function buildCrl(input: CrlInput): Promise<Uint8Array> {
  const issuer = parseIssuer(input.issuerCertDer, input.signer);
  if (input.crlNumber < 0n || input.crlNumber > MAX_CRL_NUMBER)
    fail('CRL number must be a non-negative INTEGER of at most 20 octets');
  // RFC 5280 §5.1.2.5: nextUpdate is later than thisUpdate.
  if (!(input.nextUpdate.getTime() > input.thisUpdate.getTime())) fail('nextUpdate must be later than thisUpdate');

  const seen = new Set<string>();
  const revokedCertificates = input.revoked.map((entry) => {
    const serial = positiveSerial(entry.serial);
    const key = Buffer.from(serial).toString('hex');
    if (seen.has(key)) fail(`serial ${key} is listed twice`);
    seen.add(key);
    return revokedCertificate(entry, serial);
  });

  const signatureAlgorithm = algorithmIdentifier(input.signer);
  const tbs = new TBSCertList({
    version: Version.v2, // RFC 5280 §5.1.2.1: v2 because extensions are present
    signature: signatureAlgorithm, // §5.1.2.2: same as the outer signatureAlgorithm
    issuer: issuer.cert.tbsCertificate.subject, // §5.1.2.3
    thisUpdate: new Time(input.thisUpdate), // §5.1.2.4: Time picks UTCTime up to 2049, whole seconds
    nextUpdate: new Time(input.nextUpdate), // §5.1.2.5: conforming issuers MUST include it
    crlExtensions: [
      // §5.2.1: AKI MUST be included; keyIdentifier from the issuer's SKI so paths chain.
      extension(
        id_ce_authorityKeyIdentifier,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.ski) }),
      ),
      // §5.2.3: cRLNumber MUST be included, non-critical.
      new Extension({
        extnID: id_ce_cRLNumber,
        critical: false,
        extnValue: new OctetString(Integer.fromBigInt(input.crlNumber).toBER()),
      }),
    ],
  });
  // §5.1.2.6: when there are no revoked certificates the list MUST be absent, not empty.
  if (revokedCertificates.length > 0) tbs.revokedCertificates = revokedCertificates;

  const signature = await input.signer.sign(new Uint8Array(AsnConvert.serialize(tbs)));
  const crl = new CertificateList({ tbsCertList: tbs, signatureAlgorithm, signature: signature.slice().buffer });
  return new Uint8Array(AsnConvert.serialize(crl));
}

function revokedCertificate(entry: RevokedEntry, serial: Uint8Array): RevokedCertificate {
  // §5.3.1: removeFromCRL belongs to delta CRLs only; this builder makes full CRLs.
  if (entry.reason === 'removeFromCRL') fail('removeFromCRL is only meaningful in a delta CRL');
  const rc = new RevokedCertificate({
    userCertificate: serial.slice().buffer,
    revocationDate: new Time(entry.revokedAt),
  });
  // §5.3.1: the reasonCode SHOULD be absent rather than carry unspecified (0).
  if (entry.reason !== 'unspecified')
    rc.crlEntryExtensions = [extension(id_ce_cRLReasons, new CRLReason(revocationReasonCode(entry.reason)))];
  return rc;
}

interface ParsedIssuer {
  cert: Certificate;
  ski: Uint8Array;
}

function parseIssuer(der: Uint8Array, signer: Signer): ParsedIssuer {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (cause) {
    throw new TrustplaneError('INTERNAL', 'the CRL issuer certificate cannot be parsed', { cause });
  }
  // A CRL signed by any key but the issuer's would never verify: refuse to make one.
  const certKey = createPublicKey({
    key: Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)),
    format: 'der',
    type: 'spki',
  });
  const signerKey = createPublicKey({ key: Buffer.from(signer.spki), format: 'der', type: 'spki' });
  if (!certKey.equals(signerKey)) fail("the signer's key is not the issuer certificate's key");
  const skiExt = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  if (!skiExt) fail('the issuer certificate has no subjectKeyIdentifier to derive the CRL AKI from');
  const ski = AsnConvert.parse(skiExt.extnValue.buffer, SubjectKeyIdentifier);
  return { cert, ski: new Uint8Array(ski.buffer) };
}

/** RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets, DER-minimal (a 00 pad only before a set top bit). */
function positiveSerial(serial: Uint8Array): Uint8Array {
  let start = 0;
  while (start < serial.length && serial[start] === 0) start++;
  const magnitude = serial.subarray(start);
  if (magnitude.length === 0) fail('a certificate serial number must be positive');
  const padded = (magnitude[0] ?? 0) & 0x80 ? Uint8Array.of(0, ...magnitude) : Uint8Array.from(magnitude);
  if (padded.length > MAX_SERIAL_OCTETS) fail('a certificate serial number is at most 20 octets');
  return padded;
}

function algorithmIdentifier(signer: Signer): AlgorithmIdentifier {
  // RFC 4055 §5: RSA PKCS#1 v1.5 carries NULL parameters; RFC 5758 §3.2 / RFC 8410 §3: ECDSA and EdDSA omit them.
  const { oid, nullParameters } = signer.signatureAlgorithm;
  return nullParameters
    ? new AlgorithmIdentifier({ algorithm: oid, parameters: null })
    : new AlgorithmIdentifier({ algorithm: oid });
}

function extension(extnID: string, value: object): Extension {
  return new Extension({ extnID, critical: false, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function fail(message: string): never {
  throw new TrustplaneError('INTERNAL', message);
}
