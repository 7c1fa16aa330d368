import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { DAY_MS } from '../../core/clock.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { parseEnrollmentToken } from '../../enrollment/enrollment-token.ts';
import type { CertificateRecord, DeviceRecord, ProductRecord } from '../../pki/records.types.ts';
import { DEVICE_SERIAL_PATTERN } from '../../pki/validation.ts';
import { subjectOf } from '../../pki/ca-hierarchy.ts';
import { nameAttributeValues } from '../../pki/names.ts';
import type { Trustplane } from '../trustplane.ts';

/** The TLS client certificate, if the client sent one (the listener asks, but does not require). */
export function clientCertificate(request: FastifyRequest): X509Certificate | undefined {
  const socket = request.raw.socket as TLSSocket;
  return typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
}

/**
 * RFC 7030 §3.2.3 HTTP Basic: the device serial as user, its one-time token as password.
 * Attacker-controlled header: its shape is checked before the token is hashed and looked up.
 */
export function basicCredentials(request: FastifyRequest): { serial: string; tokenHash: Uint8Array } | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/]{1,400}={0,2})\s*$/i.exec(header);
  if (!m) throw new TrustplaneError('ENROLLMENT_TOKEN_INVALID', 'the Authorization header must be "Basic <base64 serial:token>"');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const serial = decoded.slice(0, Math.max(colon, 0));
  if (colon < 1 || !DEVICE_SERIAL_PATTERN.test(serial)) throw new TrustplaneError('ENROLLMENT_TOKEN_INVALID', 'the Basic user must be the device serial');
  return { serial, tokenHash: parseEnrollmentToken(decoded.slice(colon + 1)) };
}

/**
 * RFC 7030 §4.2.2: re-enrollment is authenticated by the certificate being renewed. It must be one
 * this product's issuing CA issued (byte for byte what the store holds), not revoked or on hold,
 * and unexpired or within the product's grace period. A superseded certificate passes only while
 * its successor is the device's current certificate and unused: it may then fetch that successor
 * again (a lost answer, DESIGN rule 8), and nothing else. The first authentication with a current
 * certificate is recorded: from then on the one it superseded authenticates nothing.
 */
export async function authenticateDeviceCertificate(tp: Trustplane, product: ProductRecord, cert: X509Certificate | undefined): Promise<{ record: CertificateRecord; serial: string }> {
  if (!cert) throw new TrustplaneError('CLIENT_CERTIFICATE_REQUIRED', 'present the current device certificate over TLS');
  const record = await tp.identity.store.findCertificate(product.issuingCaId, cert.serialNumber.toLowerCase().padStart(32, '0'));
  if (!record || record.deviceId === null || !Buffer.from(record.der).equals(cert.raw)) {
    throw new TrustplaneError('CLIENT_CERTIFICATE_UNTRUSTED', `the client certificate was not issued for product ${product.sku}`);
  }
  if (record.status === 'revoked' || record.status === 'hold') throw new TrustplaneError('CLIENT_CERTIFICATE_REVOKED', `the client certificate is ${record.status === 'hold' ? 'on hold' : 'revoked'}`);
  const now = tp.clock.now().getTime();
  if (now < record.notBefore.getTime() || now > record.notAfter.getTime() + product.reenrollGraceDays * DAY_MS) {
    throw new TrustplaneError('CLIENT_CERTIFICATE_EXPIRED', product.reenrollGraceDays > 0 ? `expired more than ${product.reenrollGraceDays} days ago` : undefined);
  }
  const serial = deviceSerialOf(record);
  if (serial === undefined) throw new TrustplaneError('CLIENT_CERTIFICATE_UNTRUSTED', 'the client certificate names no device');
  if (record.status === 'superseded') await requireUnusedSuccessor(tp, product, record, serial);
  else if (record.firstUsedAt === null) await tp.identity.store.recordFirstUse(record.serial, new Date(now));
  return { record, serial };
}

/**
 * The device on the device listener (updates, attestation): authenticated by its current
 * certificate as `simplereenroll` is, and active (a suspended, revoked or decommissioned device
 * is refused; docs/design/enrollment.md).
 */
export async function activeDevice(tp: Trustplane, request: FastifyRequest<{ Params: { sku: string } }>): Promise<{ product: ProductRecord; device: DeviceRecord; certificate: CertificateRecord }> {
  const product = await tp.product(request.params.sku);
  const { record, serial } = await authenticateDeviceCertificate(tp, product, clientCertificate(request));
  const found = await tp.identity.store.findDevice(product.id, serial);
  if (!found) throw new TrustplaneError('DEVICE_NOT_FOUND');
  if (found.state !== 'active') throw new TrustplaneError('DEVICE_NOT_ACTIVE', `the device is ${found.state}`);
  return { product, device: found, certificate: record };
}

/**
 * The device behind a refused certificate, when the refusal is the device's standing and not the
 * certificate's provenance: the presented certificate is byte for byte the one we issued as the
 * device's current certificate (TLS proved possession of its key), within its validity, put on
 * hold by a suspension or revoked for cessationOfOperation by a decommissioning, and the device is
 * in that state. Anything else — a stranger's certificate, a superseded one, a key revoked as
 * compromised — is undefined: the caller keeps the authentication refusal, and writes nothing.
 */
export async function inactiveDevice(tp: Trustplane, request: FastifyRequest<{ Params: { sku: string } }>): Promise<{ product: ProductRecord; device: DeviceRecord; certificate: CertificateRecord } | undefined> {
  const cert = clientCertificate(request);
  if (!cert) return undefined;
  const product = await tp.product(request.params.sku);
  const record = await tp.identity.store.findCertificate(product.issuingCaId, cert.serialNumber.toLowerCase().padStart(32, '0'));
  if (!record || record.deviceId === null || !Buffer.from(record.der).equals(cert.raw)) return undefined;
  const standing = record.status === 'hold' ? 'suspended' : record.status === 'revoked' && record.revocationReason === 'cessationOfOperation' ? 'decommissioned' : undefined;
  const now = tp.clock.now().getTime();
  if (standing === undefined || now < record.notBefore.getTime() || now > record.notAfter.getTime() + product.reenrollGraceDays * DAY_MS) return undefined;
  const serial = deviceSerialOf(record);
  const device = serial === undefined ? undefined : await tp.identity.store.findDevice(product.id, serial);
  if (!device || device.id !== record.deviceId || device.currentCertificateSerial !== record.serial || device.state !== standing) return undefined;
  return { product, device, certificate: record };
}

/**
 * The device a certificate we issued names: its subject's serialNumber (the bytes are what we
 * issued, so the subject is ours). Parsing the certificate costs ~0.4–1 ms, a third of a device
 * request's server time (docs/benchmarks.md, the fleet's update check), and a device presents the
 * same certificate on every request until it renews: the answer, which never changes for a given
 * certificate, is kept for the most recent certificates seen.
 */
function deviceSerialOf(record: CertificateRecord): string | undefined {
  const key = `${record.caId}/${record.serial}`;
  const known = deviceSerials.get(key);
  if (known !== undefined) return known;
  const serial = nameAttributeValues(subjectOf(record.der), 'serialNumber')[0];
  if (serial === undefined) return undefined;
  if (deviceSerials.size >= DEVICE_SERIALS_KEPT) deviceSerials.delete(deviceSerials.keys().next().value!);
  deviceSerials.set(key, serial);
  return serial;
}

/** ~100 bytes an entry: 100,000 certificates are ~10 MB, a fleet's worth of reconnecting devices. */
const DEVICE_SERIALS_KEPT = 100_000;
const deviceSerials = new Map<string, string>();

/** A superseded certificate authenticates only while its direct successor is current and unused. */
async function requireUnusedSuccessor(tp: Trustplane, product: ProductRecord, record: CertificateRecord, serial: string): Promise<void> {
  const device = await tp.identity.store.findDevice(product.id, serial);
  const [current] = device?.currentCertificateSerial ? await tp.identity.store.findCertificates([device.currentCertificateSerial]) : [];
  const recoverable = current !== undefined && current.status === 'good' && current.firstUsedAt === null && current.issuedAt.getTime() === record.revokedAt?.getTime();
  if (!recoverable) throw new TrustplaneError('CLIENT_CERTIFICATE_REVOKED', 'the client certificate is superseded by one the device has used');
}
