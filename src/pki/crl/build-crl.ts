import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  Certificate,
  DistributionPoint,
  DistributionPointName,
  Extension,
  Extensions,
  FreshestCRL,
  GeneralName,
  KeyIdentifier,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_deltaCRLIndicator,
  id_ce_freshestCRL,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { Integer } from 'asn1js';
import { createPublicKey } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import type { RevocationReason } from '../../core/revocation-reason.ts';
import type { Signer } from '../../crypto/signer.ts';
import { DER_BIT_STRING, DER_SEQUENCE, byteLength, derConcat, derContext, derElement, derTime } from '../der/der-writer.ts';
import { crlEntryDer } from './crl-entry.ts';

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
  const seen = new Set<string>();
  const entries = input.revoked.map((entry) => {
    const serial = positiveSerial(entry.serial);
    const serialHex = Buffer.from(serial).toString('hex');
    if (seen.has(serialHex)) fail(`serial ${serialHex} is listed twice`);
    seen.add(serialHex);
    // §5.3.1: removeFromCRL belongs to delta CRLs only; this builder makes full CRLs.
    if (entry.reason === 'removeFromCRL') fail('removeFromCRL is only meaningful in a delta CRL');
    return crlEntryDer({ serialHex, revokedAt: entry.revokedAt, reason: entry.reason });
  });
  const built = await buildCrlParts({ ...input, entryPages: entries.length > 0 ? [Buffer.concat(entries)] : [] });
  return derConcat(built.parts);
}

/** What a streamed CRL is made of; the entries come as pages of encoded entries (crlEntryDer). */
export interface CrlPlan {
  issuerCertDer: Uint8Array;
  signer: Signer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Concatenated revokedCertificates entries (crlEntryDer), page by page, in any order. */
  entryPages: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** RFC 5280 §5.2.4: a delta CRL of the complete CRL numbered `baseCrlNumber`. */
  delta?: { baseCrlNumber: bigint };
  /** RFC 5280 §5.2.6: where a complete CRL's delta CRLs are (Freshest CRL). */
  freshestCrlUrl?: string;
}

/** A CRL as its byte parts, in order: stored and sent page by page, never joined into one buffer. */
export interface BuiltCrl {
  parts: Uint8Array[];
  byteLength: number;
}

/**
 * Builds a v2 CRL (RFC 5280 §5.1) from pages of encoded entries without ever holding two copies of
 * the list: the pages become parts of the answer as they are, the TBSCertList is signed over its
 * parts (the Signer hashes them one after another), and its lengths are added up, not copied.
 */
export async function buildCrlParts(plan: CrlPlan): Promise<BuiltCrl> {
  const issuer = parseIssuer(plan.issuerCertDer, plan.signer);
  if (plan.crlNumber < 0n || plan.crlNumber > MAX_CRL_NUMBER) fail('CRL number must be a non-negative INTEGER of at most 20 octets');
  // RFC 5280 §5.1.2.5: nextUpdate is later than thisUpdate.
  if (!(plan.nextUpdate.getTime() > plan.thisUpdate.getTime())) fail('nextUpdate must be later than thisUpdate');
  if (plan.delta && !(plan.delta.baseCrlNumber >= 0n && plan.delta.baseCrlNumber < plan.crlNumber)) fail('a delta CRL must number above its base');

  const pages: Uint8Array[] = [];
  for await (const page of plan.entryPages) if (page.length > 0) pages.push(page);

  const signatureAlgorithm = new Uint8Array(AsnConvert.serialize(algorithmIdentifier(plan.signer)));
  const tbsContent: Uint8Array[] = [
    VERSION_2, // RFC 5280 §5.1.2.1: v2 because extensions are present
    signatureAlgorithm, // §5.1.2.2: same as the outer signatureAlgorithm
    new Uint8Array(AsnConvert.serialize(issuer.cert.tbsCertificate.subject)), // §5.1.2.3
    derTime(plan.thisUpdate), // §5.1.2.4: UTCTime up to 2049, whole seconds
    derTime(plan.nextUpdate), // §5.1.2.5: conforming issuers MUST include it
    // §5.1.2.6: when there are no revoked certificates the list MUST be absent, not empty.
    ...(pages.length > 0 ? derElement(DER_SEQUENCE, pages) : []),
    ...derElement(derContext(0), [new Uint8Array(AsnConvert.serialize(new Extensions(crlExtensions(plan, issuer.ski))))]),
  ];
  const tbs = derElement(DER_SEQUENCE, tbsContent);
  const signature = plan.signer.signParts ? await plan.signer.signParts(tbs) : await plan.signer.sign(derConcat(tbs));
  // BIT STRING with no unused bits.
  const signatureBits = derElement(DER_BIT_STRING, [Uint8Array.of(0), signature]);
  const parts = derElement(DER_SEQUENCE, [...tbs, signatureAlgorithm, ...signatureBits]);
  return { parts, byteLength: byteLength(parts) };
}

const VERSION_2 = Uint8Array.of(0x02, 0x01, 0x01);

function crlExtensions(plan: CrlPlan, ski: Uint8Array): Extension[] {
  const extensions = [
    // §5.2.1: AKI MUST be included; keyIdentifier from the issuer's SKI so paths chain.
    extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ski) })),
    // §5.2.3: cRLNumber MUST be included, non-critical; complete and delta CRLs share one sequence.
    new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(Integer.fromBigInt(plan.crlNumber).toBER()) }),
  ];
  // §5.2.4: the delta CRL indicator is critical and names the complete CRL the delta starts from.
  if (plan.delta)
    extensions.push(new Extension({ extnID: id_ce_deltaCRLIndicator, critical: true, extnValue: new OctetString(Integer.fromBigInt(plan.delta.baseCrlNumber).toBER()) }));
  // §5.2.6: a complete CRL points at its deltas; non-critical.
  else if (plan.freshestCrlUrl)
    extensions.push(
      extension(
        id_ce_freshestCRL,
        new FreshestCRL([new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: plan.freshestCrlUrl })] }) })]),
      ),
    );
  return extensions;
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
