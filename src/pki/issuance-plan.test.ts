import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { DAY_MS } from '../core/clock.ts';
import { TrustplaneError, type ErrorCode } from '../core/errors.ts';
import type { DeviceState } from '../core/lifecycle.ts';
import type { KeyAlgorithm } from '../crypto/key-algorithm.ts';
import { sha256, type VerifiedCsr } from './csr.ts';
import { answeredAgain, checkLostAnswerReissue, checkReprovisionDecision, decideIssuance, type IssuanceKind } from './issuance-plan.ts';
import type { CertificateRecord, DeviceRecord, KeyBinding, ProductRecord } from './records.types.ts';

const NOW = new Date('2030-06-01T12:00:00Z');

const product: ProductRecord = {
  id: 'prd_1',
  sku: 'GW-1',
  name: 'Gateway',
  craClass: 'default',
  supportUntil: new Date('2035-12-31T23:59:59Z'),
  keyAlgorithm: 'ecdsa-p256',
  certificateValidityDays: 365,
  renewalWindowDays: 30,
  serverKeygen: false,
  reenrollGraceDays: 0,
  owner: 'team',
  issuingCaId: 'ca_1',
  createdAt: new Date('2030-01-01T00:00:00Z'),
  memberStates: null,
};

function device(state: DeviceState, id = 'dev_1'): DeviceRecord {
  return {
    id,
    productId: product.id,
    serial: `sn-${id}`,
    hardwareId: null,
    state,
    currentCertificateSerial: state === 'registered' ? null : 'aa',
    createdAt: NOW,
    updatedAt: NOW,
    // a revoked device here has an operator's decision (through /v1): the key checks are tested
    reprovision: state === 'revoked' ? { via: 'api', until: new Date(NOW.getTime() + DAY_MS), batchId: null } : null,
  };
}

function csrOf(algorithm: KeyAlgorithm = 'ecdsa-p256'): VerifiedCsr {
  const { publicKey } =
    algorithm === 'ecdsa-p384'
      ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return { spki, spkiSha256: sha256(spki), keyAlgorithm: algorithm, subjectSerials: [] };
}

const keyA = csrOf();
const keyB = csrOf();
const bound = (csr: VerifiedCsr, deviceId: string, retiredAt: Date | null = null): KeyBinding => ({
  spkiSha256: csr.spkiSha256,
  deviceId,
  retiredAt,
});

function decide(over: Partial<Parameters<typeof decideIssuance>[0]> & { kind: IssuanceKind }) {
  return decideIssuance({
    product,
    device: device('registered'),
    csr: keyA,
    binding: undefined,
    currentKeySha256: undefined,
    now: NOW,
    path: 'api',
    ...over,
  });
}

function refused(code: ErrorCode, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TrustplaneError, `not a TrustplaneError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.ok(e.status >= 400 && e.status < 500, `${code} must be a client error`);
    return true;
  });
}

describe('decideIssuance', () => {
  test('a registered device with a new key enrolls and binds the key', () => {
    const d = decide({ kind: 'enroll' });
    assert.equal(d.device.id, 'dev_1');
    assert.equal(d.bindKey, true);
    assert.equal(d.keyRotated, false);
  });

  test('renewal with the same key: nothing to bind, not rotated', () => {
    const d = decide({
      kind: 'renew',
      device: device('active'),
      binding: bound(keyA, 'dev_1'),
      currentKeySha256: keyA.spkiSha256,
    });
    assert.equal(d.bindKey, false);
    assert.equal(d.keyRotated, false);
  });

  test('renewal with a new key: bound and rotated', () => {
    const d = decide({ kind: 'renew', device: device('active'), csr: keyB, currentKeySha256: keyA.spkiSha256 });
    assert.equal(d.bindKey, true);
    assert.equal(d.keyRotated, true);
  });

  test('renewal back to an earlier key of the same device: rotated, already bound', () => {
    const d = decide({
      kind: 'renew',
      device: device('active'),
      csr: keyA,
      binding: bound(keyA, 'dev_1'),
      currentKeySha256: keyB.spkiSha256,
    });
    assert.equal(d.bindKey, false);
    assert.equal(d.keyRotated, true);
  });

  test('renewal with no current certificate is not called a rotation', () => {
    assert.equal(decide({ kind: 'renew', device: device('active'), csr: keyB }).keyRotated, false);
  });

  test('enrollment never reports a rotation', () => {
    assert.equal(
      decide({ kind: 'enroll', device: device('revoked'), csr: keyB, currentKeySha256: keyA.spkiSha256 }).keyRotated,
      false,
    );
  });

  test('a revoked device is re-provisioned with a new key', () => {
    const d = decide({ kind: 'enroll', device: device('revoked'), csr: keyB });
    assert.equal(d.bindKey, true);
  });

  test('a revoked device cannot reuse its retired key (KEY_REUSE_AFTER_REVOCATION)', () => {
    refused('KEY_REUSE_AFTER_REVOCATION', () =>
      decide({ kind: 'enroll', device: device('revoked'), binding: bound(keyA, 'dev_1', NOW) }),
    );
    // nor on a later renewal, after the re-provisioning
    refused('KEY_REUSE_AFTER_REVOCATION', () =>
      decide({
        kind: 'renew',
        device: device('active'),
        binding: bound(keyA, 'dev_1', NOW),
        currentKeySha256: keyB.spkiSha256,
      }),
    );
  });

  test("another device's key is refused (KEY_BOUND_TO_OTHER_DEVICE), retired or not", () => {
    refused('KEY_BOUND_TO_OTHER_DEVICE', () => decide({ kind: 'enroll', binding: bound(keyA, 'dev_2') }));
    refused('KEY_BOUND_TO_OTHER_DEVICE', () => decide({ kind: 'enroll', binding: bound(keyA, 'dev_2', NOW) }));
    refused('KEY_BOUND_TO_OTHER_DEVICE', () =>
      decide({ kind: 'renew', device: device('active'), binding: bound(keyA, 'dev_2') }),
    );
  });

  test('a key of the wrong algorithm is refused (KEY_ALGORITHM_MISMATCH)', () => {
    refused('KEY_ALGORITHM_MISMATCH', () => decide({ kind: 'enroll', csr: csrOf('ecdsa-p384') }));
    assert.throws(
      () => decide({ kind: 'enroll', csr: csrOf('ecdsa-p384') }),
      /requires ecdsa-p256, the CSR has ecdsa-p384/,
    );
  });

  test('an unknown device is DEVICE_NOT_FOUND', () => {
    refused('DEVICE_NOT_FOUND', () => decide({ kind: 'enroll', device: undefined }));
  });

  test('the lifecycle refusals come through with their own codes', () => {
    const cases: [IssuanceKind, DeviceState, ErrorCode][] = [
      ['enroll', 'active', 'DEVICE_ALREADY_ENROLLED'],
      ['enroll', 'suspended', 'DEVICE_ALREADY_ENROLLED'],
      ['enroll', 'decommissioned', 'DEVICE_DECOMMISSIONED'],
      ['renew', 'registered', 'DEVICE_NOT_ACTIVE'],
      ['renew', 'suspended', 'DEVICE_NOT_ACTIVE'],
      ['renew', 'revoked', 'DEVICE_NOT_ACTIVE'],
      ['renew', 'decommissioned', 'DEVICE_DECOMMISSIONED'],
    ];
    for (const [kind, state, code] of cases) refused(code, () => decide({ kind, device: device(state) }));
  });

  describe('support period', () => {
    test('the last instant of support still issues', () => {
      assert.equal(decide({ kind: 'enroll', now: product.supportUntil }).bindKey, true);
    });
    test('one millisecond after, PRODUCT_SUPPORT_ENDED', () => {
      refused('PRODUCT_SUPPORT_ENDED', () =>
        decide({ kind: 'enroll', now: new Date(product.supportUntil.getTime() + 1) }),
      );
      refused('PRODUCT_SUPPORT_ENDED', () =>
        decide({ kind: 'renew', device: device('active'), now: new Date(product.supportUntil.getTime() + DAY_MS) }),
      );
    });
  });

  describe('the order of the checks decides which code a request with several faults gets', () => {
    const late = new Date(product.supportUntil.getTime() + 1);
    test('support ended beats everything', () => {
      refused('PRODUCT_SUPPORT_ENDED', () => decide({ kind: 'enroll', device: undefined, now: late }));
      refused('PRODUCT_SUPPORT_ENDED', () =>
        decide({ kind: 'enroll', device: device('decommissioned'), csr: csrOf('ecdsa-p384'), now: late }),
      );
    });
    test('the lifecycle beats the key checks', () => {
      refused('DEVICE_DECOMMISSIONED', () =>
        decide({
          kind: 'enroll',
          device: device('decommissioned'),
          csr: csrOf('ecdsa-p384'),
          binding: bound(keyA, 'dev_2'),
        }),
      );
      refused('DEVICE_NOT_ACTIVE', () =>
        decide({ kind: 'renew', device: device('revoked'), binding: bound(keyA, 'dev_1', NOW) }),
      );
    });
    test('the algorithm beats the binding', () => {
      const p384 = csrOf('ecdsa-p384');
      refused('KEY_ALGORITHM_MISMATCH', () => decide({ kind: 'enroll', csr: p384, binding: bound(p384, 'dev_2') }));
    });
    test('another device beats reuse after revocation', () => {
      refused('KEY_BOUND_TO_OTHER_DEVICE', () =>
        decide({ kind: 'enroll', device: device('revoked'), binding: bound(keyA, 'dev_2', NOW) }),
      );
    });
  });

  test('the decision is pure: the inputs are not changed', () => {
    const d = device('active');
    const snapshot = structuredClone(d);
    decide({ kind: 'renew', device: d, csr: keyB, currentKeySha256: keyA.spkiSha256 });
    assert.deepEqual(d, snapshot);
  });
});

describe('a revoked device enrolls only by the path of an operator decision (DESIGN rule 7)', () => {
  const revoked = (reprovision: DeviceRecord['reprovision']): DeviceRecord => ({ ...device('revoked'), reprovision });
  const until = new Date(NOW.getTime() + DAY_MS);

  test('no decision, or one past its end: REPROVISION_NOT_AUTHORISED on every path', () => {
    for (const path of ['token', 'bootstrap', 'api', undefined] as const) {
      refused('REPROVISION_NOT_AUTHORISED', () => checkReprovisionDecision(revoked(null), path, undefined, NOW));
      refused('REPROVISION_NOT_AUTHORISED', () => checkReprovisionDecision(revoked({ via: 'bootstrap', until: NOW, batchId: null }), path, undefined, NOW));
    }
  });

  test('the chosen path only; with a token, only the token minted for the decision', () => {
    checkReprovisionDecision(revoked({ via: 'bootstrap', until, batchId: null }), 'bootstrap', undefined, NOW);
    refused('REPROVISION_NOT_AUTHORISED', () => checkReprovisionDecision(revoked({ via: 'bootstrap', until, batchId: null }), 'token', 'bat_1', NOW));
    refused('REPROVISION_NOT_AUTHORISED', () => checkReprovisionDecision(revoked({ via: 'api', until, batchId: null }), undefined, undefined, NOW));
    checkReprovisionDecision(revoked({ via: 'token', until, batchId: 'bat_1' }), 'token', 'bat_1', NOW);
    refused('REPROVISION_NOT_AUTHORISED', () => checkReprovisionDecision(revoked({ via: 'token', until, batchId: 'bat_1' }), 'token', 'bat_old', NOW));
  });

  test('decideIssuance asks for the decision before anything about the key', () => {
    refused('REPROVISION_NOT_AUTHORISED', () => decide({ kind: 'enroll', device: revoked(null), binding: bound(keyA, 'dev_1', NOW) }));
  });
});

describe('a lost answer is answered again while unused (DESIGN rule 8)', () => {
  const C0 = new Date(NOW.getTime() - DAY_MS);
  const cert = (over: Partial<CertificateRecord> = {}): CertificateRecord => ({
    serial: 'aa',
    caId: 'ca_1',
    deviceId: 'dev_1',
    spkiSha256: keyA.spkiSha256,
    der: new Uint8Array(1),
    notBefore: C0,
    notAfter: new Date(NOW.getTime() + 30 * DAY_MS),
    status: 'good',
    revocationReason: null,
    revokedAt: null,
    issuedAt: NOW,
    firstUsedAt: null,
    issuedFor: 'renew',
    ...over,
  });
  const superseded = { status: 'superseded' as const, revokedAt: NOW };

  test('a renewal retried by the superseded certificate with the current key gets the current certificate', () => {
    const current = cert();
    assert.equal(answeredAgain({ device: device('active'), current, csrSpkiSha256: keyA.spkiSha256, retry: { kind: 'renewal', presented: superseded } }), current);
  });

  test('not with another key, not once used, not when superseded by another, not for a device no longer active', () => {
    const again = (over: Partial<Parameters<typeof answeredAgain>[0]>) =>
      answeredAgain({ device: device('active'), current: cert(), csrSpkiSha256: keyA.spkiSha256, retry: { kind: 'renewal', presented: superseded }, ...over });
    assert.equal(again({ csrSpkiSha256: keyB.spkiSha256 }), undefined);
    assert.equal(again({ current: cert({ firstUsedAt: NOW }) }), undefined);
    assert.equal(again({ retry: { kind: 'renewal', presented: { status: 'superseded', revokedAt: C0 } } }), undefined);
    assert.equal(again({ retry: { kind: 'renewal', presented: { status: 'good', revokedAt: null } } }), undefined);
    assert.equal(again({ device: device('suspended') }), undefined);
    assert.equal(again({ current: cert({ status: 'hold' }) }), undefined);
  });

  test('an enrollment retried with the token spent on the current certificate, or with no token (IDevID)', () => {
    const current = cert({ issuedFor: 'enroll' });
    assert.equal(answeredAgain({ device: device('active'), current, csrSpkiSha256: keyA.spkiSha256, retry: { kind: 'enrollment', spentOn: 'aa' } }), current);
    assert.equal(answeredAgain({ device: device('active'), current, csrSpkiSha256: keyA.spkiSha256, retry: { kind: 'enrollment' } }), current);
    assert.equal(answeredAgain({ device: device('active'), current, csrSpkiSha256: keyA.spkiSha256, retry: { kind: 'enrollment', spentOn: 'bb' } }), undefined);
  });

  test('a lost serverkeygen answer is re-issued only over the unused certificate of a serverkeygen enrollment', () => {
    const state = (over: Partial<CertificateRecord>) => {
      const { der: _der, ...rest } = cert({ issuedFor: 'serverkeygen', ...over });
      return rest;
    };
    checkLostAnswerReissue(device('active'), state({}), 'aa');
    refused('DEVICE_ALREADY_ENROLLED', () => checkLostAnswerReissue(device('active'), state({ firstUsedAt: NOW }), 'aa'));
    refused('DEVICE_ALREADY_ENROLLED', () => checkLostAnswerReissue(device('active'), state({ issuedFor: 'renew' }), 'aa'));
    refused('DEVICE_ALREADY_ENROLLED', () => checkLostAnswerReissue(device('active'), state({ issuedFor: 'enroll' }), 'aa'));
    refused('DEVICE_ALREADY_ENROLLED', () => checkLostAnswerReissue(device('active'), state({}), 'bb'));
    refused('DEVICE_NOT_ACTIVE', () => checkLostAnswerReissue(device('suspended'), state({}), 'aa'));
  });
});
