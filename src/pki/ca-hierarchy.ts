import { DAY_MS } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import { randomCertificateSerial } from '../core/random.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { keyIdentifierOf, signCertificate } from './certificate-builder.ts';
import type { IdentityContext } from './identity-context.ts';
import { buildName, nameToString } from './names.ts';
import { issuingCaExtensions, ocspResponderExtensions, publicationUrls, rootCaExtensions } from './profiles.ts';
import { actorName, type Actor, type CaRecord } from './records.types.ts';
import * as x509 from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';

export function subjectOf(certDer: Uint8Array): x509.Name {
  return AsnConvert.parse(certDer, x509.Certificate).tbsCertificate.subject;
}

export function spkiOf(certDer: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(AsnConvert.parse(certDer, x509.Certificate).tbsCertificate.subjectPublicKeyInfo));
}

/** Creates the root of trust on first start; later starts find it. */
export async function ensureRootCa(ctx: IdentityContext, actor: Actor): Promise<{ root: CaRecord; created: boolean }> {
  const existing = await ctx.store.findRootCa();
  if (existing) return { root: existing, created: false };
  const now = ctx.clock.now();
  const id = newId('ca', ctx.random);
  const signer = await ctx.keys.generate(ctx.config.rootKeyAlgorithm, `root CA ${id}`);
  const subject = buildName([
    { type: 'organization', value: ctx.config.organization },
    { type: 'commonName', value: `${ctx.config.organization} Root CA ${id.slice(3, 11)}` },
  ]);
  const notBefore = new Date(now.getTime() - ctx.config.backdateSeconds * 1000);
  const notAfter = new Date(now.getTime() + ctx.config.rootValidityDays * DAY_MS);
  const certificate = await signCertificate(
    { serial: randomCertificateSerial(ctx.random), issuer: subject, subject, notBefore, notAfter, spki: signer.spki, extensions: rootCaExtensions(signer.spki) },
    signer,
  );
  const root: CaRecord = { id, kind: 'root', productId: null, parentId: null, keyId: signer.keyId, certificate, subject: nameToString(subject), notBefore, notAfter, createdAt: now };
  await ctx.store.unitOfWork(async (uow) => {
    await uow.insertCa(root);
    uow.recordEvents([{ actor: actorName(actor), action: 'ca.root-created', subjectType: 'ca', subjectId: id, details: { keyAlgorithm: ctx.config.rootKeyAlgorithm, notAfter: notAfter.toISOString() } }]);
  }, { at: now });
  return { root, created: true };
}

/**
 * Mints a product's issuing CA (pathLen 0) and its delegated OCSP responder. Keys are generated
 * and certificates signed here; the caller inserts both records in its unit of work.
 */
export async function prepareIssuingCa(
  ctx: IdentityContext,
  args: { root: CaRecord; sku: string; keyAlgorithm: KeyAlgorithm; notAfter: Date; productId: string },
): Promise<{ issuing: CaRecord; responder: CaRecord }> {
  const now = ctx.clock.now();
  const rootSigner = await ctx.keys.signer(args.root.keyId);
  const rootKeyId = keyIdentifierOf(rootSigner.spki);
  const rootName = subjectOf(args.root.certificate);
  const notBefore = new Date(now.getTime() - ctx.config.backdateSeconds * 1000);
  const notAfter = new Date(Math.min(args.notAfter.getTime(), args.root.notAfter.getTime()));

  const id = newId('ca', ctx.random);
  const signer = await ctx.keys.generate(args.keyAlgorithm, `issuing CA ${id} for ${args.sku}`);
  const subject = buildName([
    { type: 'organization', value: ctx.config.organization },
    { type: 'organizationalUnit', value: args.sku },
    { type: 'commonName', value: `${args.sku} Issuing CA ${id.slice(3, 11)}` },
  ]);
  const certificate = await signCertificate(
    {
      serial: randomCertificateSerial(ctx.random),
      issuer: rootName,
      subject,
      notBefore,
      notAfter,
      spki: signer.spki,
      extensions: issuingCaExtensions(signer.spki, rootKeyId, publicationUrls(ctx.config.publicUrl(), args.root.id)),
    },
    rootSigner,
  );
  const issuing: CaRecord = { id, kind: 'issuing', productId: args.productId, parentId: args.root.id, keyId: signer.keyId, certificate, subject: nameToString(subject), notBefore, notAfter, createdAt: now };
  const responder = await prepareOcspResponder(ctx, issuing, args.sku);
  return { issuing, responder };
}

/** RFC 6960 §4.2.2.2: a delegated responder certificate, short-lived, with id-pkix-ocsp-nocheck. */
export async function prepareOcspResponder(ctx: IdentityContext, issuing: CaRecord, sku: string): Promise<CaRecord> {
  const now = ctx.clock.now();
  const issuerSigner = await ctx.keys.signer(issuing.keyId);
  const id = newId('ca', ctx.random);
  const algorithm: KeyAlgorithm = issuerSigner.algorithm;
  const signer = await ctx.keys.generate(algorithm, `OCSP responder ${id} for ${sku}`);
  const subject = buildName([
    { type: 'organization', value: ctx.config.organization },
    { type: 'organizationalUnit', value: sku },
    { type: 'commonName', value: `${sku} OCSP Responder ${id.slice(3, 11)}` },
  ]);
  const notBefore = new Date(now.getTime() - ctx.config.backdateSeconds * 1000);
  const notAfter = new Date(Math.min(now.getTime() + ctx.config.ocspResponderValidityDays * DAY_MS, issuing.notAfter.getTime()));
  const certificate = await signCertificate(
    {
      serial: randomCertificateSerial(ctx.random),
      issuer: subjectOf(issuing.certificate),
      subject,
      notBefore,
      notAfter,
      spki: signer.spki,
      extensions: ocspResponderExtensions(signer.spki, keyIdentifierOf(issuerSigner.spki)),
    },
    issuerSigner,
  );
  const responder: CaRecord = { id, kind: 'ocsp-responder', productId: issuing.productId, parentId: issuing.id, keyId: signer.keyId, certificate, subject: nameToString(subject), notBefore, notAfter, createdAt: now };
  return responder;
}
