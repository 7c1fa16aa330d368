// The agent's claims evidence, through the wire form, verifies with the verifier's code and the
// public key of the device's identity key; another device's key is refused.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyClaimsToken } from '../../attestation/claims/index.ts';
import { decodeEvidence } from '../../attestation/evidence.ts';
import { TrustplaneError } from '../../core/errors.ts';
import { claimsEvidence, claimsEvidenceJson } from './claims-evidence.ts';

const sha256 = (s: string) => ({
  alg: 'sha256' as const,
  value: new Uint8Array(createHash('sha256').update(s).digest()),
});

describe('claimsEvidence', () => {
  it('round-trips through the wire form and verifies with the device key only', () => {
    const device = generateKeyPairSync('ed25519');
    const nonce = new Uint8Array(32).fill(3);
    const state = {
      serial: 'SN-7',
      version: '1.4.0',
      firmwareDigest: sha256('image'),
      securityVersion: 3,
      configurationDigest: sha256('config'),
      bootMeasurements: [sha256('bootloader'), sha256('image')],
    };
    const wire = JSON.parse(JSON.stringify(claimsEvidenceJson(claimsEvidence(device.privateKey, nonce, state))));
    const evidence = decodeEvidence(wire);
    assert.equal(evidence.kind, 'eat-claims');
    if (evidence.kind !== 'eat-claims') return;
    assert.deepEqual(verifyClaimsToken(evidence.token, nonce, device.publicKey), { ...state, nonce });
    const other = generateKeyPairSync('ed25519');
    assert.throws(
      () => verifyClaimsToken(evidence.token, nonce, other.publicKey),
      (e: unknown) => e instanceof TrustplaneError && e.code === 'ATTESTATION_SIGNATURE_INVALID',
    );
  });
});
