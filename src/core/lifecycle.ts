import { TrustplaneError } from './errors.ts';

/** Device lifecycle (DESIGN.md "Device lifecycle"). */
export const deviceStates = ['registered', 'active', 'suspended', 'revoked', 'decommissioned'] as const;
export type DeviceState = (typeof deviceStates)[number];

export type DeviceTransition = 'enroll' | 'renew' | 'suspend' | 'reinstate' | 'revoke' | 'decommission';

const allowed: Record<DeviceTransition, readonly DeviceState[]> = {
  // revoked → active is the re-provision path (a new key is required; checked by the issuance pipeline)
  enroll: ['registered', 'revoked'],
  renew: ['active'],
  suspend: ['active'],
  reinstate: ['suspended'],
  revoke: ['active', 'suspended'],
  decommission: ['registered', 'active', 'suspended', 'revoked'],
};

const target: Record<DeviceTransition, DeviceState> = {
  enroll: 'active',
  renew: 'active',
  suspend: 'suspended',
  reinstate: 'active',
  revoke: 'revoked',
  decommission: 'decommissioned',
};

/** Returns the next state, or throws the code that names why the transition is refused. */
export function nextDeviceState(from: DeviceState, transition: DeviceTransition): DeviceState {
  if (allowed[transition].includes(from)) return target[transition];
  if (from === 'decommissioned') throw new TrustplaneError('DEVICE_DECOMMISSIONED');
  if (transition === 'enroll' && (from === 'active' || from === 'suspended')) {
    throw new TrustplaneError('DEVICE_ALREADY_ENROLLED');
  }
  if (transition === 'renew') throw new TrustplaneError('DEVICE_NOT_ACTIVE', `a ${from} device cannot be renewed`);
  throw new TrustplaneError('ILLEGAL_TRANSITION', `cannot ${transition} a ${from} device`);
}

export function isDeviceState(s: string): s is DeviceState {
  return (deviceStates as readonly string[]).includes(s);
}
