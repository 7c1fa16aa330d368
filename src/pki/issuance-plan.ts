import { TrustplaneError } from '../core/errors.ts';
import { nextDeviceState } from '../core/lifecycle.ts';
import type { VerifiedCsr } from './csr.ts';
import type { CertificateState } from './identity-store.types.ts';
import type { CertificateRecord, DeviceRecord, KeyBinding, ProductRecord, ReprovisionPath } from './records.types.ts';

export type IssuanceKind = 'enroll' | 'renew';

/**
 * A one-time enrollment token as issuance sees it (enrollment/ mints them in batches): it
 * authorises exactly one enrollment of one serial of one product, inside its batch's window.
 */
export interface OneTimeTokenGrant {
  tokenHash: Uint8Array;
  batchId: string;
  factory: string;
  productId: string;
  serial: string;
  validFrom: Date;
  /** the earlier of the token's expiry and its batch's end */
  expiresAt: Date;
  usedAt: Date | null;
  batchClosedAt: Date | null;
  /** the certificate it was spent on; null while unused */
  certificateSerial: string | null;
}

/** Checks a one-time token against the request it is presented with; throws why it does not hold. */
export function checkOneTimeToken(grant: OneTimeTokenGrant | undefined, request: { productId: string; serial: string }, now: Date): OneTimeTokenGrant {
  // A token bound to another serial or product is as good as none: the same answer, no oracle.
  if (!grant || grant.productId !== request.productId || grant.serial !== request.serial) throw new TrustplaneError('ENROLLMENT_TOKEN_INVALID');
  if (grant.usedAt) throw new TrustplaneError('ENROLLMENT_TOKEN_USED');
  if (grant.batchClosedAt) throw new TrustplaneError('BATCH_CLOSED');
  if (now.getTime() < grant.validFrom.getTime()) throw new TrustplaneError('BATCH_NOT_YET_VALID');
  if (now.getTime() >= grant.expiresAt.getTime()) throw new TrustplaneError('ENROLLMENT_TOKEN_EXPIRED');
  return grant;
}

/**
 * RFC 7030 §4.2.2 re-enrollment: the certificate that authenticated the request must be the
 * device's current one. The certificate the current one superseded never renews: while its
 * successor is unused it may only fetch that successor again (answeredAgain), writing nothing.
 */
export function checkRenewalAuthority(presented: { serial: string }, current: { serial: string } | undefined): void {
  if (current && presented.serial === current.serial) return;
  throw new TrustplaneError('CLIENT_CERTIFICATE_REVOKED', 'the certificate is no longer the current one of this device; a retry of a lost answer must carry the key of the request that was answered');
}

/**
 * DESIGN rule 8: the certificate a device lost with its answer is given again when the retry
 * proves the same things the first request did, nothing is written, and the device has not yet
 * used it (after that it has it). Pure: the callers read the rows.
 * - `renewal`: authenticated by the certificate `current` superseded (same instant), with a CSR for
 *   `current`'s key: the key of a same-key renewal, or the new key the lost answer certified.
 * - `enrollment`: the credential of the first request (a token spent on `current`, or the IDevID of
 *   the serial), with a CSR for `current`'s key.
 */
export function answeredAgain(args: {
  device: DeviceRecord | undefined;
  current: CertificateRecord | undefined;
  csrSpkiSha256: Uint8Array;
  retry: { kind: 'renewal'; presented: { status: CertificateRecord['status']; revokedAt: Date | null } } | { kind: 'enrollment'; spentOn?: string };
}): CertificateRecord | undefined {
  const { device, current, retry } = args;
  if (!device || !current || device.state !== 'active' || device.currentCertificateSerial !== current.serial) return undefined;
  if (current.status !== 'good' || current.firstUsedAt !== null || hex(current.spkiSha256) !== hex(args.csrSpkiSha256)) return undefined;
  if (retry.kind === 'renewal') {
    const { presented } = retry;
    return presented.status === 'superseded' && presented.revokedAt?.getTime() === current.issuedAt.getTime() ? current : undefined;
  }
  return retry.spentOn === undefined || retry.spentOn === current.serial ? current : undefined;
}

/**
 * A lost serverkeygen answer (RFC 7030 §4.4): the server kept no copy of the key it made, so the
 * certificate cannot be given again. A retry with the same credential gets a fresh key and
 * certificate, superseding the lost one, only while that one is still the device's current
 * certificate, made by serverkeygen and never used: the device cannot hold it. A certificate for a
 * key the device made itself (simpleenroll) is never superseded so: the device may hold it.
 */
export function checkLostAnswerReissue(device: DeviceRecord, current: CertificateState | undefined, lost: string): void {
  if (device.state !== 'active') nextDeviceState(device.state, 'renew'); // throws the lifecycle's own code
  if (!current || current.serial !== lost || current.status !== 'good' || current.issuedFor !== 'serverkeygen' || current.firstUsedAt !== null) {
    throw new TrustplaneError('DEVICE_ALREADY_ENROLLED', 'the device has used its certificate since (or renewed it): renew with it instead');
  }
}

/** The token of a lost serverkeygen answer: valid but for being spent, and spent on `lost`. */
export function checkSpentToken(grant: OneTimeTokenGrant | undefined, request: { productId: string; serial: string }, lost: string, now: Date): OneTimeTokenGrant {
  if (!grant || grant.productId !== request.productId || grant.serial !== request.serial) throw new TrustplaneError('ENROLLMENT_TOKEN_INVALID');
  if (grant.usedAt === null || grant.certificateSerial !== lost) throw new TrustplaneError('ENROLLMENT_TOKEN_USED');
  if (grant.batchClosedAt) throw new TrustplaneError('BATCH_CLOSED');
  if (now.getTime() >= grant.expiresAt.getTime()) throw new TrustplaneError('ENROLLMENT_TOKEN_EXPIRED');
  return grant;
}

/**
 * DESIGN rule 7: a revoked device enrolls again only by the path an operator chose for it, once,
 * before the decision's end; with `token`, only with the token minted for the decision. What the
 * device holds (its IDevID, an old batch token) is never enough.
 */
export function checkReprovisionDecision(device: DeviceRecord, path: ReprovisionPath | undefined, tokenBatchId: string | undefined, now: Date): void {
  const decision = device.reprovision;
  if (!decision || now.getTime() >= decision.until.getTime()) {
    throw new TrustplaneError('REPROVISION_NOT_AUTHORISED', `device ${device.serial} is revoked: an operator must decide to re-provision it (trustplane device reprovision)`);
  }
  if (path !== decision.via || (decision.via === 'token' && tokenBatchId !== decision.batchId)) {
    throw new TrustplaneError('REPROVISION_NOT_AUTHORISED', `device ${device.serial} may be re-provisioned only ${decision.via === 'token' ? 'with the token minted for the decision' : decision.via === 'bootstrap' ? 'with its bootstrap certificate over EST' : 'through /v1 enroll by an admin or operator'}`);
  }
}

/** What the issuance checks decided for one request, before anything is signed or written. */
export interface IssuanceDecision {
  device: DeviceRecord;
  /** the key is new to this device: bind it */
  bindKey: boolean;
  keyRotated: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const MAX_RECORDED_NAMES = 4;
const MAX_RECORDED_NAME_LENGTH = 128;

/**
 * DESIGN rule 2: the CA writes the subject from the registry; what the CSR's subject said (its
 * commonName and serialNumber values) is recorded in the issuance event and otherwise ignored.
 * Attacker-controlled text bound for the ledger: well-formed UTF-16 (no lone surrogates), no
 * control characters (PostgreSQL's jsonb refuses U+0000), at most 4 values of 128 characters.
 */
export function csrSubjectNamesForLedger(csr: Pick<VerifiedCsr, 'subjectSerials'>): string[] {
  return csr.subjectSerials.slice(0, MAX_RECORDED_NAMES).map((name) =>
    // cut first: a cut through a surrogate pair leaves a lone half, which toWellFormed replaces
    name
      .slice(0, MAX_RECORDED_NAME_LENGTH)
      .toWellFormed()
      .replace(/[\u0000-\u001f\u007f]/g, '\ufffd'),
  );
}

/**
 * The issuance policy, as one pure function over the state read in the unit of work.
 * Order matters only for which code a request with several faults gets.
 */
export function decideIssuance(args: {
  kind: IssuanceKind;
  product: ProductRecord;
  device: DeviceRecord | undefined;
  csr: VerifiedCsr;
  binding: KeyBinding | undefined;
  currentKeySha256: Uint8Array | undefined;
  now: Date;
  /** a lost serverkeygen answer re-issued: the lost certificate and the device's current one */
  reissue?: { lost: string; current: CertificateState | undefined };
  /** how a first enrollment is authorised: a revoked device needs an operator's decision naming it */
  path?: ReprovisionPath;
  /** the batch of the one-time token that authorises it */
  tokenBatchId?: string;
}): IssuanceDecision {
  const { kind, product, device, csr, binding, now } = args;
  if (now.getTime() > product.supportUntil.getTime()) throw new TrustplaneError('PRODUCT_SUPPORT_ENDED');
  if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND');
  if (args.reissue) checkLostAnswerReissue(device, args.reissue.current, args.reissue.lost);
  else nextDeviceState(device.state, kind); // throws the lifecycle's own code
  if (kind === 'enroll' && device.state === 'revoked') checkReprovisionDecision(device, args.path, args.tokenBatchId, now);
  if (csr.keyAlgorithm !== product.keyAlgorithm) {
    throw new TrustplaneError('KEY_ALGORITHM_MISMATCH', `the product requires ${product.keyAlgorithm}, the CSR has ${csr.keyAlgorithm}`);
  }
  if (binding && binding.deviceId !== device.id) throw new TrustplaneError('KEY_BOUND_TO_OTHER_DEVICE');
  // A key that was certified before a revocation is burnt: re-provisioning needs a new key.
  if (binding?.retiredAt) throw new TrustplaneError('KEY_REUSE_AFTER_REVOCATION');
  const keyRotated = kind === 'renew' && args.currentKeySha256 !== undefined && hex(args.currentKeySha256) !== hex(csr.spkiSha256);
  return { device, bindKey: binding === undefined, keyRotated };
}
