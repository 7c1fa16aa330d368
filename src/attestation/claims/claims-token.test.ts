import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { encodeCoseSign1, protectedHeader, sig1Structure } from '../../updates/boot-manifest/cose-sign.ts';
import { encodeDeterministic } from '../../updates/boot-manifest/deterministic-cbor.ts';
import { claimKey, TRUSTPLANE_EAT_PROFILE } from './claim-keys.ts';
import { signToBeSigned } from './claims-signature.ts';
import { deviceClaimsMap } from './claims-map.ts';
import { signClaimsToken, verifyClaimsToken } from './claims-token.ts';
import type { DeviceClaims } from './device-claims.types.ts';

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const nonce = sha256('challenge');
const claims: DeviceClaims = {
  nonce,
  ueid: Uint8Array.of(0x01, ...sha256('ueid').subarray(0, 16)),
  serial: 'SN-000042',
  version: '1.4.0',
  firmwareDigest: { alg: 'sha256', value: sha256('firmware image 1.4.0') },
  securityVersion: 7,
  configurationDigest: { alg: 'sha256', value: sha256('configuration 1.4.0') },
  bootMeasurements: [
    { alg: 'sha256', value: sha256('bootloader 2.1.0') },
    { alg: 'sha256', value: sha256('firmware image 1.4.0') },
  ],
};

function refusedWith(code: string, f: () => unknown, claim?: string): void {
  assert.throws(
    f,
    (e: unknown) =>
      e instanceof TrustplaneError && e.code === code && (claim === undefined || e.details?.claim === claim),
    `expected ${code}${claim ? ` for ${claim}` : ''}`,
  );
}

/** A token over any claims map, signed as a device would: to test what the verifier does with each claim. */
function tokenOver(map: Map<number, unknown>, key: KeyObject, header = protectedHeader([[1, -7]])): Uint8Array {
  const payload = encodeDeterministic(map);
  return encodeCoseSign1(header, payload, signToBeSigned(key, sig1Structure(header, payload)));
}

describe('claims token (EAT claims in COSE_Sign1)', () => {
  const keys = {
    'ECDSA P-256 (ES256)': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    'ECDSA P-384 (ES384)': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    Ed25519: generateKeyPairSync('ed25519'),
    'ML-DSA-65': generateKeyPairSync('ml-dsa-65'),
  };
  const device = keys['ECDSA P-256 (ES256)'];

  for (const [name, key] of Object.entries(keys)) {
    it(`signed with ${name}, verifies with the device's public key and gives back the claims`, () => {
      assert.deepEqual(verifyClaimsToken(signClaimsToken(claims, key.privateKey), nonce, key.publicKey), claims);
    });
  }

  it('a device without a ueid is accepted (the serial identifies it)', () => {
    const { ueid: _ueid, ...withoutUeid } = claims;
    assert.deepEqual(
      verifyClaimsToken(signClaimsToken(withoutUeid, device.privateKey), nonce, device.publicKey),
      withoutUeid,
    );
  });

  it("refuses a token signed by another device's key, and a token whose alg is not the device key's", () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    refusedWith('ATTESTATION_SIGNATURE_INVALID', () =>
      verifyClaimsToken(signClaimsToken(claims, other.privateKey), nonce, device.publicKey),
    );
    const ed = keys.Ed25519;
    refusedWith('ATTESTATION_SIGNATURE_INVALID', () =>
      verifyClaimsToken(signClaimsToken(claims, ed.privateKey), nonce, device.publicKey),
    );
    // The right key, a header claiming ES384 for it.
    const lying = tokenOver(deviceClaimsMap(claims), device.privateKey, protectedHeader([[1, -35]]));
    refusedWith('ATTESTATION_SIGNATURE_INVALID', () => verifyClaimsToken(lying, nonce, device.publicKey));
  });

  it('refuses a token over another nonce (a replayed token)', () => {
    refusedWith('ATTESTATION_NONCE_MISMATCH', () =>
      verifyClaimsToken(signClaimsToken(claims, device.privateKey), sha256('next challenge'), device.publicKey),
    );
  });

  const requiredClaims = [
    'eatNonce',
    'eatProfile',
    'swversion',
    'serial',
    'firmwareDigest',
    'securityVersion',
    'configurationDigest',
    'bootMeasurements',
  ] as const;
  for (const claim of requiredClaims) {
    it(`refuses a signed token without ${claim} (${claimKey[claim]}): ATTESTATION_CLAIM_MISSING`, () => {
      const map = deviceClaimsMap(claims);
      map.delete(claimKey[claim]);
      refusedWith(
        'ATTESTATION_CLAIM_MISSING',
        () => verifyClaimsToken(tokenOver(map, device.privateKey), nonce, device.publicKey),
        claim,
      );
    });
  }

  it('refuses claims of the wrong type, another profile, a crit header and a non-deterministic payload as malformed', () => {
    const bad: [string, Map<number, unknown>][] = [
      ['nonce too short', deviceClaimsMap(claims).set(claimKey.eatNonce, Uint8Array.of(1, 2, 3))],
      ['serial as bytes', deviceClaimsMap(claims).set(claimKey.serial, Uint8Array.of(1))],
      ['security version negative', deviceClaimsMap(claims).set(claimKey.securityVersion, -1)],
      ['digest of the wrong size', deviceClaimsMap(claims).set(claimKey.firmwareDigest, [-16, new Uint8Array(20)])],
      ['digest with SHA-1 (-14)', deviceClaimsMap(claims).set(claimKey.firmwareDigest, [-14, new Uint8Array(20)])],
      ['no boot measurement', deviceClaimsMap(claims).set(claimKey.bootMeasurements, [])],
      ['another profile', deviceClaimsMap(claims).set(claimKey.eatProfile, `${TRUSTPLANE_EAT_PROFILE}x`)],
    ];
    for (const [what, map] of bad)
      assert.throws(
        () => verifyClaimsToken(tokenOver(map, device.privateKey), nonce, device.publicKey),
        (e: unknown) => e instanceof TrustplaneError && e.code === 'ATTESTATION_EVIDENCE_MALFORMED',
        what,
      );
    const crit = protectedHeader([
      [1, -7],
      [2, [99]],
    ]);
    refusedWith('ATTESTATION_EVIDENCE_MALFORMED', () =>
      verifyClaimsToken(tokenOver(deviceClaimsMap(claims), device.privateKey, crit), nonce, device.publicKey),
    );
    // A payload whose map keys are out of deterministic order, signed correctly.
    const header = protectedHeader([[1, -7]]);
    const unsorted = Uint8Array.of(0xa2, 0x19, 0x01, 0x0f, 0x81, 0x61, 0x31, 0x0a, 0x48, 1, 2, 3, 4, 5, 6, 7, 8);
    const token = encodeCoseSign1(header, unsorted, signToBeSigned(device.privateKey, sig1Structure(header, unsorted)));
    refusedWith('ATTESTATION_EVIDENCE_MALFORMED', () => verifyClaimsToken(token, nonce, device.publicKey));
  });

  it('refuses a token over the size limit before parsing it', () => {
    refusedWith('ATTESTATION_EVIDENCE_MALFORMED', () =>
      verifyClaimsToken(new Uint8Array(8 * 1024 + 1), nonce, device.publicKey),
    );
  });
});
