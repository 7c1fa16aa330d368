import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TrustplaneError, type ErrorCode } from './errors.ts';
import { deviceStates, isDeviceState, nextDeviceState, type DeviceState, type DeviceTransition } from './lifecycle.ts';

const transitions: DeviceTransition[] = ['enroll', 'renew', 'suspend', 'reinstate', 'revoke', 'decommission'];

/** The whole table (DESIGN.md "Device lifecycle"): each cell the next state or the refusal code. */
const expected: Record<DeviceState, Record<DeviceTransition, DeviceState | ErrorCode>> = {
  registered: {
    enroll: 'active',
    renew: 'DEVICE_NOT_ACTIVE',
    suspend: 'ILLEGAL_TRANSITION',
    reinstate: 'ILLEGAL_TRANSITION',
    revoke: 'ILLEGAL_TRANSITION',
    decommission: 'decommissioned',
  },
  active: {
    enroll: 'DEVICE_ALREADY_ENROLLED',
    renew: 'active',
    suspend: 'suspended',
    reinstate: 'ILLEGAL_TRANSITION',
    revoke: 'revoked',
    decommission: 'decommissioned',
  },
  suspended: {
    enroll: 'DEVICE_ALREADY_ENROLLED',
    renew: 'DEVICE_NOT_ACTIVE',
    suspend: 'ILLEGAL_TRANSITION',
    reinstate: 'active',
    revoke: 'revoked',
    decommission: 'decommissioned',
  },
  revoked: {
    // re-provisioning: the issuance policy insists on a new key
    enroll: 'active',
    renew: 'DEVICE_NOT_ACTIVE',
    suspend: 'ILLEGAL_TRANSITION',
    reinstate: 'ILLEGAL_TRANSITION',
    revoke: 'ILLEGAL_TRANSITION',
    decommission: 'decommissioned',
  },
  decommissioned: {
    enroll: 'DEVICE_DECOMMISSIONED',
    renew: 'DEVICE_DECOMMISSIONED',
    suspend: 'DEVICE_DECOMMISSIONED',
    reinstate: 'DEVICE_DECOMMISSIONED',
    revoke: 'DEVICE_DECOMMISSIONED',
    decommission: 'DEVICE_DECOMMISSIONED',
  },
};

describe('device lifecycle', () => {
  for (const from of deviceStates) {
    for (const transition of transitions) {
      const want = expected[from][transition];
      if (isDeviceState(want)) {
        test(`${from} --${transition}--> ${want}`, () => {
          assert.equal(nextDeviceState(from, transition), want);
        });
      } else {
        test(`${from} --${transition}--> refused ${want}`, () => {
          assert.throws(
            () => nextDeviceState(from, transition),
            (e: unknown) => e instanceof TrustplaneError && e.code === want && e.status >= 400 && e.status < 500,
          );
        });
      }
    }
  }

  test('every refusal is a client error (409), never a server error', () => {
    for (const from of deviceStates) {
      for (const transition of transitions) {
        try {
          nextDeviceState(from, transition);
        } catch (e) {
          assert.ok(e instanceof TrustplaneError);
          assert.equal(e.status, 409, `${from} ${transition}: ${e.code}`);
        }
      }
    }
  });

  test('the refusal message names the transition and the state', () => {
    assert.throws(() => nextDeviceState('registered', 'suspend'), /cannot suspend a registered device/);
    assert.throws(() => nextDeviceState('suspended', 'renew'), /a suspended device cannot be renewed/);
  });

  test('isDeviceState', () => {
    for (const s of deviceStates) assert.equal(isDeviceState(s), true);
    for (const s of ['', 'Active', 'expired', 'retired', 'active ']) assert.equal(isDeviceState(s), false, s);
  });
});
