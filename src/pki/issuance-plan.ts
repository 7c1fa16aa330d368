import { TrustplaneError } from '../core/errors.ts';
import { nextDeviceState } from '../core/lifecycle.ts';
import type { VerifiedCsr } from './csr.ts';
import type { DeviceRecord, KeyBinding, ProductRecord } from './records.types.ts';

export type IssuanceKind = 'enroll' | 'renew';

/** What the issuance checks decided for one request, before anything is signed or written. */
export interface IssuanceDecision {
  device: DeviceRecord;
  /** the key is new to this device: bind it */
  bindKey: boolean;
  keyRotated: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

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
