// DESIGN.md rule 5: a claims token is attacker-controlled bytes. Hostile input may only end in
// a TrustplaneError of the evidence codes, and a changed byte of a signed token is never accepted.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { encodeCoseSign1, protectedHeader, sig1Structure } from '../../updates/boot-manifest/cose-sign.ts';
import { encodeDeterministic } from '../../updates/boot-manifest/deterministic-cbor.ts';
import { claimKey } from './claim-keys.ts';
import { signToBeSigned } from './claims-signature.ts';
import { deviceClaimsMap } from './claims-map.ts';
import { signClaimsToken, verifyClaimsToken } from './claims-token.ts';
import type { ClaimDigest, DeviceClaims } from './device-claims.types.ts';

const codes = new Set([
  'ATTESTATION_EVIDENCE_MALFORMED',
  'ATTESTATION_SIGNATURE_INVALID',
  'ATTESTATION_NONCE_MISMATCH',
  'ATTESTATION_CLAIM_MISSING',
  'ATTESTATION_ALGORITHM_UNSUPPORTED',
]);

/** True when accepted; a refusal must be one of the codes above. */
function accepted(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    assert.ok(e instanceof TrustplaneError, `threw ${String(e)}`);
    assert.ok(codes.has(e.code), `threw ${e.code}: ${e.message}`);
    return false;
  }
}

const plain = { noNullPrototype: true } as const;
const digestArb: fc.Arbitrary<ClaimDigest> = fc
  .constantFrom('sha256' as const, 'sha384' as const, 'sha512' as const)
  .chain((alg) =>
    fc.record(
      {
        alg: fc.constant(alg),
        value: fc.uint8Array({
          minLength: { sha256: 32, sha384: 48, sha512: 64 }[alg],
          maxLength: { sha256: 32, sha384: 48, sha512: 64 }[alg],
        }),
      },
      plain,
    ),
  );
const claimsArb: fc.Arbitrary<DeviceClaims> = fc.record(
  {
    nonce: fc.uint8Array({ minLength: 8, maxLength: 64 }),
    serial: fc.string({ minLength: 1, maxLength: 64 }),
    version: fc.string({ minLength: 1, maxLength: 32 }),
    firmwareDigest: digestArb,
    securityVersion: fc.nat(),
    configurationDigest: digestArb,
    bootMeasurements: fc.array(digestArb, { minLength: 1, maxLength: 8 }),
  },
  plain,
);

/** Any value a claim might hold: the claim's own type or another. */
const claimValue = fc.oneof(
  fc.uint8Array({ maxLength: 70 }),
  fc.string({ maxLength: 140 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.oneof(fc.integer({ min: -50, max: 0 }), fc.uint8Array({ maxLength: 64 })), { maxLength: 3 }),
  fc.array(fc.tuple(fc.constantFrom(-16, -43, -44, -14), fc.uint8Array({ maxLength: 64 })), { maxLength: 3 }),
);

describe('claims token on hostile input', () => {
  const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('round-trips: any well-formed claims set signed by the device verifies to itself', () => {
    fc.assert(
      fc.property(claimsArb, (c) => {
        assert.deepEqual(verifyClaimsToken(signClaimsToken(c, device.privateKey), c.nonce, device.publicKey), c);
      }),
      { numRuns: 200 },
    );
  });

  it('arbitrary bytes, and bytes behind a COSE_Sign1 tag, are refused cleanly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (b, tagged) => {
        const bytes = tagged ? Uint8Array.of(0xd2, 0x84, ...b) : b;
        assert.equal(
          accepted(() => verifyClaimsToken(bytes, new Uint8Array(32), device.publicKey)),
          false,
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('any changed byte of a signed token is refused', () => {
    const c = fc.sample(claimsArb, { numRuns: 1, seed: 15 })[0]!;
    const token = signClaimsToken(c, device.privateKey);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = new Uint8Array(token);
        const i = at % changed.length;
        changed[i] = (changed[i] ?? 0) ^ xor;
        assert.equal(
          accepted(() => verifyClaimsToken(changed, c.nonce, device.publicKey)),
          false,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('a correctly signed token with any claim replaced by any value is refused cleanly or read back as signed', () => {
    const keys = Object.values(claimKey);
    fc.assert(
      fc.property(claimsArb, fc.constantFrom(...keys), claimValue, (c, key, value) => {
        const map = deviceClaimsMap(c).set(key, value);
        const header = protectedHeader([[1, -7]]);
        const payload = encodeDeterministic(map);
        const token = encodeCoseSign1(
          header,
          payload,
          signToBeSigned(device.privateKey, sig1Structure(header, payload)),
        );
        accepted(() => verifyClaimsToken(token, c.nonce, device.publicKey));
      }),
      { numRuns: 1500 },
    );
  });
});
