import type { KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DAY_MS } from '../../core/clock.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { authenticateBootstrapCertificate } from '../../enrollment/bootstrap-cas.ts';
import { generateKeyPairFor, type KeyAlgorithm } from '../../crypto/key-algorithm.ts';
import { sha256, type VerifiedCsr } from '../../pki/csr.ts';
import type { IssuanceRequest } from '../../pki/issuance.ts';
import type { CertificateRecord, ProductRecord } from '../../pki/records.types.ts';
import { stationOf } from '../station.ts';
import type { Trustplane } from '../trustplane.ts';
import { base64Lines, certsOnlyBase64 } from './certs-only.ts';
import { EST_PREFIX, multipartBoundary, sendCerts, skuParams } from './est-app.ts';
import { authenticateDeviceCertificate, basicCredentials, clientCertificate } from './est-authentication.ts';

type SkuRequest = FastifyRequest<{ Params: { sku: string }; Body: unknown }>;

/** Who a first enrollment is for, and what authorised it: a one-time token, or a bootstrap certificate. */
async function enrollmentAuthority(tp: Trustplane, request: SkuRequest, product: ProductRecord): Promise<Pick<IssuanceRequest, 'serial' | 'oneTimeToken' | 'provenance'>> {
  const station = stationOf(request);
  const basic = basicCredentials(request);
  if (basic) return { serial: basic.serial, oneTimeToken: basic.tokenHash, provenance: { via: 'est-token', ...station } };
  const cert = clientCertificate(request);
  if (cert) {
    const { serial, bootstrapCa } = authenticateBootstrapCertificate(new Uint8Array(cert.raw), await tp.enrollment.store.listBootstrapCas(product.id), tp.clock.now());
    return { serial, provenance: { via: 'est-bootstrap', bootstrapCa: bootstrapCa.id, bootstrapCertificateSerial: cert.serialNumber.toLowerCase(), ...station } };
  }
  throw new TrustplaneError('EST_AUTHENTICATION_REQUIRED');
}

export function estEnrollmentRoutes(app: FastifyInstance, tp: Trustplane, io: { parseCsr(body: unknown): Promise<VerifiedCsr> }): void {
  // RFC 7030 §4.2.1: initial enrollment.
  app.post(`${EST_PREFIX}/:sku/simpleenroll`, { schema: { params: skuParams } }, async (request: SkuRequest, reply) => {
    const product = await tp.product(request.params.sku);
    const authority = await enrollmentAuthority(tp, request, product);
    const csr = await io.parseCsr(request.body);
    try {
      const { certificate } = await tp.issuance.issue({ kind: 'enroll', product, csr, actor: deviceActor(product, authority), ...authority });
      return sendCerts(reply.header('cache-control', 'no-store'), certsOnlyBase64([certificate.der]));
    } catch (e) {
      const replayed = e instanceof TrustplaneError && e.code === 'ENROLLMENT_TOKEN_USED' ? await replayedEnrollment(tp, product, authority, csr) : undefined;
      if (!replayed) throw e;
      request.log.info({ product: product.sku, serial: authority.serial, certificateSerial: replayed.serial }, 'simpleenroll retried: the certificate the token was spent on is answered again');
      return sendCerts(reply.header('cache-control', 'no-store'), certsOnlyBase64([replayed.der]));
    }
  });

  // RFC 7030 §4.2.2: re-enrollment, authenticated by the certificate being renewed; the key may change.
  app.post(`${EST_PREFIX}/:sku/simplereenroll`, { schema: { params: skuParams } }, async (request: SkuRequest, reply) => {
    const product = await tp.product(request.params.sku);
    const { record, serial } = await authenticateDeviceCertificate(tp, product, clientCertificate(request));
    const csr = await io.parseCsr(request.body);
    const authority = { serial, provenance: { via: 'est-reenroll', ...stationOf(request) } };
    const { certificate } = await tp.issuance.issue({
      kind: 'renew',
      product,
      csr,
      actor: deviceActor(product, authority),
      presented: { serial: record.serial, supersededAt: record.status === 'superseded' ? record.revokedAt : null },
      ...authority,
    });
    return sendCerts(reply.header('cache-control', 'no-store'), certsOnlyBase64([certificate.der]));
  });

  // RFC 7030 §4.4: the server makes the key, for devices that cannot. Allowed per product only, and
  // recorded as such: the key existed outside the device, if only in this process's memory.
  app.post(`${EST_PREFIX}/:sku/serverkeygen`, { schema: { params: skuParams } }, async (request: SkuRequest, reply) => {
    const product = await tp.product(request.params.sku);
    if (!product.serverKeygen) throw new TrustplaneError('SERVER_KEYGEN_NOT_ALLOWED');
    const authority = await enrollmentAuthority(tp, request, product);
    const requested = await io.parseCsr(request.body); // §4.4.1: a CSR all the same; its key is not used
    const { privateKey, csr } = await serverKey(product.keyAlgorithm, requested);
    const provenance = { ...authority.provenance, keyGeneratedBy: 'server' };
    const { certificate } = await tp.issuance.issue({ kind: 'enroll', product, csr, actor: deviceActor(product, authority), ...authority, provenance });
    request.log.warn({ product: product.sku, serial: authority.serial, certificateSerial: certificate.serial }, 'serverkeygen: the device key was generated by the server');
    const boundary = multipartBoundary();
    const pkcs8 = base64Lines(new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })));
    // RFC 7030 §4.4.2: the private key part, then the certificate part (RFC 8951: both base64).
    const body =
      `--${boundary}\r\nContent-Type: application/pkcs8\r\nContent-Transfer-Encoding: base64\r\n\r\n${pkcs8}\r\n` +
      `--${boundary}\r\nContent-Type: application/pkcs7-mime; smime-type=certs-only\r\nContent-Transfer-Encoding: base64\r\n\r\n${certsOnlyBase64([certificate.der])}\r\n` +
      `--${boundary}--\r\n`;
    return reply.type(`multipart/mixed; boundary=${boundary}`).header('cache-control', 'no-store').send(body);
  });

  // When to renew, in the shape of ACME renewal information (RFC 9773 §4.2): a window inside the
  // product's renewal window, so a fleet spreads its renewals instead of arriving at once.
  app.get(`${EST_PREFIX}/:sku/renewal-info`, { schema: { params: skuParams } }, async (request: SkuRequest, reply) => {
    const product = await tp.product(request.params.sku);
    const { record } = await authenticateDeviceCertificate(tp, product, clientCertificate(request));
    const now = tp.clock.now();
    const windowMs = product.renewalWindowDays * DAY_MS;
    // A superseded certificate is an interrupted rotation: finish it now.
    const start = record.status === 'superseded' ? now : new Date(record.notAfter.getTime() - windowMs);
    const end = record.status === 'superseded' ? now : new Date(record.notAfter.getTime() - windowMs / 2);
    return reply.header('retry-after', '21600').send({ suggestedWindow: { start: start.toISOString(), end: end.toISOString() }, notAfter: record.notAfter.toISOString(), status: record.status });
  });
}

/**
 * A retried enrollment: a device that lost the answer (a crash, a dropped connection) asks again
 * with the same token and the same key. If the token was spent on a certificate for exactly that
 * key, and it is still the device's current one, that certificate is answered again: nothing new
 * is issued or written. The caller holds the token and proves the key (the CSR), as the first time.
 */
async function replayedEnrollment(tp: Trustplane, product: ProductRecord, authority: Pick<IssuanceRequest, 'serial' | 'oneTimeToken'>, csr: VerifiedCsr): Promise<CertificateRecord | undefined> {
  if (!authority.oneTimeToken) return undefined;
  const spent = await tp.enrollment.store.findSpentToken(authority.oneTimeToken);
  if (!spent || spent.productId !== product.id || spent.serial !== authority.serial) return undefined;
  const device = await tp.identity.store.findDevice(product.id, authority.serial);
  const [cert] = await tp.identity.store.findCertificates([spent.certificateSerial]);
  const sameKey = cert !== undefined && Buffer.from(cert.spkiSha256).equals(csr.spkiSha256);
  return sameKey && cert.status === 'good' && device?.state === 'active' && device.currentCertificateSerial === cert.serial ? cert : undefined;
}

function deviceActor(product: ProductRecord, authority: Pick<IssuanceRequest, 'serial' | 'provenance'>) {
  const via = authority.provenance?.via;
  return { kind: 'device' as const, product: product.sku, serial: authority.serial, via: typeof via === 'string' ? via : 'est' };
}

async function serverKey(algorithm: KeyAlgorithm, requested: VerifiedCsr): Promise<{ privateKey: KeyObject; csr: VerifiedCsr }> {
  const pair = await generateKeyPairFor(algorithm);
  const spki = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }));
  return { privateKey: pair.privateKey, csr: { spki, spkiSha256: sha256(spki), keyAlgorithm: algorithm, subjectSerials: requested.subjectSerials } };
}
