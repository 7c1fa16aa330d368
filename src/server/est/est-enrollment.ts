import type { KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DAY_MS } from '../../core/clock.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { authenticateBootstrapCertificate } from '../../enrollment/bootstrap-cas.ts';
import { generateKeyPairFor, type KeyAlgorithm } from '../../crypto/key-algorithm.ts';
import { sha256, type VerifiedCsr } from '../../pki/csr.ts';
import type { IssuanceRequest } from '../../pki/issuance.ts';
import { answeredAgain } from '../../pki/issuance-plan.ts';
import type { CertificateRecord, DeviceRecord, ProductRecord } from '../../pki/records.types.ts';
import { stationOf } from '../station.ts';
import type { Trustplane } from '../trustplane.ts';
import { base64Lines, certsOnlyBase64 } from './certs-only.ts';
import { EST_PREFIX, multipartBoundary, sendCerts, skuParams } from './est-app.ts';
import { authenticateDeviceCertificate, basicCredentials, clientCertificate } from './est-authentication.ts';

type SkuRequest = FastifyRequest<{ Params: { sku: string }; Body: unknown }>;

type EnrollmentAuthority = Pick<IssuanceRequest, 'serial' | 'oneTimeToken' | 'provenance'> & { path: 'token' | 'bootstrap' };

/** Who a first enrollment is for, and what authorised it: a one-time token, or a bootstrap certificate. */
async function enrollmentAuthority(tp: Trustplane, request: SkuRequest, product: ProductRecord): Promise<EnrollmentAuthority> {
  const station = stationOf(request);
  const basic = basicCredentials(request);
  if (basic) return { serial: basic.serial, oneTimeToken: basic.tokenHash, path: 'token', provenance: { via: 'est-token', ...station } };
  const cert = clientCertificate(request);
  if (cert) {
    const { serial, bootstrapCa } = authenticateBootstrapCertificate(new Uint8Array(cert.raw), await tp.enrollment.store.listBootstrapCas(product.id), tp.clock.now());
    return { serial, path: 'bootstrap', provenance: { via: 'est-bootstrap', bootstrapCa: bootstrapCa.id, bootstrapCertificateSerial: cert.serialNumber.toLowerCase(), ...station } };
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
      const replayed = await replayedEnrollment(tp, product, authority, csr, e);
      if (!replayed) throw e;
      request.log.info({ product: product.sku, serial: authority.serial, certificateSerial: replayed.serial }, 'simpleenroll retried: the unused certificate of the first answer is answered again');
      return sendCerts(reply.header('cache-control', 'no-store'), certsOnlyBase64([replayed.der]));
    }
  });

  // RFC 7030 §4.2.2: re-enrollment, authenticated by the certificate being renewed; the key may change.
  app.post(`${EST_PREFIX}/:sku/simplereenroll`, { schema: { params: skuParams } }, async (request: SkuRequest, reply) => {
    const product = await tp.product(request.params.sku);
    const { record, serial } = await authenticateDeviceCertificate(tp, product, clientCertificate(request));
    const csr = await io.parseCsr(request.body);
    // DESIGN rule 8: a retry whose answer was lost gets that answer again, and nothing is written.
    const replayed = record.status === 'superseded' ? await replayedRenewal(tp, product, serial, record, csr) : undefined;
    if (replayed) {
      request.log.info({ product: product.sku, serial, certificateSerial: replayed.serial }, 'simplereenroll retried: the unused certificate of the first answer is answered again');
      return sendCerts(reply.header('cache-control', 'no-store'), certsOnlyBase64([replayed.der]));
    }
    const authority = { serial, provenance: { via: 'est-reenroll', ...stationOf(request) } };
    const { certificate } = await tp.issuance.issue({ kind: 'renew', product, csr, actor: deviceActor(product, authority), presented: { serial: record.serial }, ...authority });
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
    const asked: IssuanceRequest = { kind: 'enroll', serverGeneratedKey: true, product, csr, actor: deviceActor(product, authority), ...authority, provenance: { ...authority.provenance, keyGeneratedBy: 'server' } };
    let certificate: CertificateRecord;
    try {
      ({ certificate } = await tp.issuance.issue(asked));
    } catch (e) {
      // The key of a lost answer was never kept: a fresh one, superseding the lost certificate.
      const lost = await lostServerkeygenAnswer(tp, product, authority, e);
      if (lost === undefined) throw e;
      ({ certificate } = await tp.issuance.issue({ ...asked, reissueOf: lost }));
      request.log.warn({ product: product.sku, serial: authority.serial, certificateSerial: certificate.serial, supersedes: lost }, 'serverkeygen retried: the unused certificate of the lost answer is superseded by a fresh key and certificate');
    }
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
    // A superseded certificate authenticates only to fetch its unused successor again (a lost
    // answer): ask now, with a CSR for the successor's key; any other request with it is refused.
    const start = record.status === 'superseded' ? now : new Date(record.notAfter.getTime() - windowMs);
    const end = record.status === 'superseded' ? now : new Date(record.notAfter.getTime() - windowMs / 2);
    return reply.header('retry-after', '21600').send({ suggestedWindow: { start: start.toISOString(), end: end.toISOString() }, notAfter: record.notAfter.toISOString(), status: record.status });
  });
}

/**
 * A retried enrollment: a device that lost the answer (a crash, a dropped connection) asks again
 * with the same credential and the same key. With a token spent on the device's current
 * certificate, or with the IDevID of its serial, a CSR for that certificate's key gets it again
 * while it is unused: nothing new is issued or written. The caller proves the credential and the
 * key, as the first time. Only the refusal a retry meets is looked into; any other stands.
 */
async function replayedEnrollment(tp: Trustplane, product: ProductRecord, authority: EnrollmentAuthority, csr: VerifiedCsr, refusal: unknown): Promise<CertificateRecord | undefined> {
  if (!(refusal instanceof TrustplaneError)) return undefined;
  let spentOn: string | undefined;
  if (authority.path === 'token' && authority.oneTimeToken && refusal.code === 'ENROLLMENT_TOKEN_USED') {
    const spent = await tp.enrollment.store.findSpentToken(authority.oneTimeToken);
    if (!spent || spent.productId !== product.id || spent.serial !== authority.serial) return undefined;
    spentOn = spent.certificateSerial;
  } else if (authority.path !== 'bootstrap' || refusal.code !== 'DEVICE_ALREADY_ENROLLED') {
    return undefined;
  }
  const { device, current } = await deviceAndCurrent(tp, product, authority.serial);
  return answeredAgain({ device, current, csrSpkiSha256: csr.spkiSha256, retry: { kind: 'enrollment', ...(spentOn === undefined ? {} : { spentOn }) } });
}

/** A retried renewal: the superseded certificate with a CSR for its unused successor's key. */
async function replayedRenewal(tp: Trustplane, product: ProductRecord, serial: string, presented: CertificateRecord, csr: VerifiedCsr): Promise<CertificateRecord | undefined> {
  const { device, current } = await deviceAndCurrent(tp, product, serial);
  return answeredAgain({ device, current, csrSpkiSha256: csr.spkiSha256, retry: { kind: 'renewal', presented } });
}

/**
 * The certificate a lost serverkeygen answer carried, when the refusal is the one a retry with the
 * first credential meets: the token spent on it, or the IDevID of an enrolled device. The
 * pipeline decides under lock whether it may be re-issued (checkLostAnswerReissue).
 */
async function lostServerkeygenAnswer(tp: Trustplane, product: ProductRecord, authority: EnrollmentAuthority, refusal: unknown): Promise<string | undefined> {
  if (!(refusal instanceof TrustplaneError)) return undefined;
  if (authority.path === 'token' && authority.oneTimeToken && refusal.code === 'ENROLLMENT_TOKEN_USED') {
    const spent = await tp.enrollment.store.findSpentToken(authority.oneTimeToken);
    return spent && spent.productId === product.id && spent.serial === authority.serial ? spent.certificateSerial : undefined;
  }
  if (authority.path === 'bootstrap' && refusal.code === 'DEVICE_ALREADY_ENROLLED') {
    return (await tp.identity.store.findDevice(product.id, authority.serial))?.currentCertificateSerial ?? undefined;
  }
  return undefined;
}

async function deviceAndCurrent(tp: Trustplane, product: ProductRecord, serial: string): Promise<{ device: DeviceRecord | undefined; current: CertificateRecord | undefined }> {
  const device = await tp.identity.store.findDevice(product.id, serial);
  const [current] = device?.currentCertificateSerial ? await tp.identity.store.findCertificates([device.currentCertificateSerial]) : [];
  return { device, current };
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
