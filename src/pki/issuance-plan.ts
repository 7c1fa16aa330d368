import { TrustplaneError } from '../core/errors.ts';
import { nextDeviceState } from '../core/lifecycle.ts';
import type { VerifiedCsr } from './csr.ts';
import type { DeviceRecord, KeyBinding, ProductRecord } from './records.types.ts';

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
 * device's current one. One exception recovers an interrupted rotation: the certificate the current
 * one superseded, when the CSR carries the current certificate's key (so the requester holds both keys).
 */
export function checkRenewalAuthority(
  presented: { serial: string; supersededAt: Date | null },
  current: { serial: string; spkiSha256: Uint8Array; issuedAt: Date } | undefined,
  csrSpkiSha256: Uint8Array,
): void {
  if (current && presented.serial === current.serial) return;
  const recovering =
    current !== undefined && presented.supersededAt !== null && presented.supersededAt.getTime() === current.issuedAt.getTime() && hex(current.spkiSha256) === hex(csrSpkiSha256);
  if (!recovering) throw new TrustplaneError('CLIENT_CERTIFICATE_REVOKED', 'the certificate is no longer the current one of this device');
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
}): IssuanceDecision {
  const { kind, product, device, csr, binding, now } = args;
  if (now.getTime() > product.supportUntil.getTime()) throw new TrustplaneError('PRODUCT_SUPPORT_ENDED');
  if (!device) throw new TrustplaneError('DEVICE_NOT_FOUND');
  nextDeviceState(device.state, kind); // throws the lifecycle's own code
  if (csr.keyAlgorithm !== product.keyAlgorithm) {
    throw new TrustplaneError('KEY_ALGORITHM_MISMATCH', `the product requires ${product.keyAlgorithm}, the CSR has ${csr.keyAlgorithm}`);
  }
  if (binding && binding.deviceId !== device.id) throw new TrustplaneError('KEY_BOUND_TO_OTHER_DEVICE');
  // A key that was certified before a revocation is burnt: re-provisioning needs a new key.
  if (binding?.retiredAt) throw new TrustplaneError('KEY_REUSE_AFTER_REVOCATION');
  const keyRotated = kind === 'renew' && args.currentKeySha256 !== undefined && hex(args.currentKeySha256) !== hex(csr.spkiSha256);
  return { device, bindKey: binding === undefined, keyRotated };
}
