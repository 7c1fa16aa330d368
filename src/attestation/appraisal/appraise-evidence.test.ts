import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { DeviceRecord } from '../../pki/records.types.ts';
import { release } from '../../vulns/csaf/testing/register-fixtures.ts';
import { readReferenceValues } from '../../updates/release-reference-values.ts';
import type { ReleaseRecord } from '../../updates/release.types.ts';
import { signClaimsToken } from '../claims/claims-token.ts';
import { decodeEvidence } from '../evidence.ts';
import { encodeTpmsAttest, quoteAttest, signAttest, softwareTpm } from '../tpm/testing/tpm-structures.ts';
import { appraiseEvidence, type AppraisalInput } from './appraise-evidence.ts';

// A real swtpm's quote (scripts/tpm-quote-vectors.ts): PCR 0 and 7 after the measurements below.
const vector = JSON.parse(readFileSync(new URL('../../../test/vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8')) as {
  nonce: string;
  ekPublic: string;
  evidence: { akPublic: string };
};
const b = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const measured = readReferenceValues({ bank: 'sha256', pcrs: { '0': [hex('bootloader 2.1.0'), hex('firmware image 1.4.0')], '7': [hex('configuration 1.4.0')] } });
const other = readReferenceValues({ bank: 'sha256', pcrs: { '0': [hex('bootloader 2.1.0'), hex('firmware image 1.3.0')] } });
const device: DeviceRecord = { id: 'dev_1', productId: 'prd_GW-1', serial: 'GW-1', hardwareId: null, state: 'active', currentCertificateSerial: null, createdAt: new Date(0), updatedAt: new Date(0), reprovision: null };
const deviceKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const fw = (id: string, over: Partial<ReleaseRecord> = {}, state: ReleaseRecord['state'] = 'published'): ReleaseRecord => ({ ...release(id, id, { state }), ...over });

const quoteInput = (releases: ReleaseRecord[], installed?: number): AppraisalInput => ({
  device,
  evidence: decodeEvidence(vector.evidence),
  nonce: b(vector.nonce),
  attestationKey: { akPublic: b(vector.evidence.akPublic), ekPublic: b(vector.ekPublic) },
  deviceKey: deviceKey.publicKey,
  releases,
  installedSecurityVersion: installed,
});

describe('appraisal: a verified quote against the releases’ reference values', () => {
  it('PCRs matching a published release of at least the installed security version: affirming, that release', () => {
    const a = appraiseEvidence(quoteInput([fw('1.3.0', { referenceValues: other }), fw('1.4.0', { referenceValues: measured, securityVersion: 3 })], 3));
    assert.equal(a.status, 'affirming');
    assert.equal(a.release?.id, '1.4.0');
    assert.equal(a.reasonCode, null);
  });

  it('the same build in a withdrawn release and a current one: the current one is the running release, whatever the order', () => {
    for (const releases of [
      [fw('1.4.0', { referenceValues: measured }, 'withdrawn'), fw('1.4.1', { referenceValues: measured, securityVersion: 3 })],
      [fw('1.4.1', { referenceValues: measured, securityVersion: 3 }), fw('1.4.0', { referenceValues: measured }, 'withdrawn')],
    ]) {
      const a = appraiseEvidence(quoteInput(releases, 3));
      assert.equal(a.status, 'affirming');
      assert.equal(a.release?.id, '1.4.1');
    }
    assert.equal(appraiseEvidence(quoteInput([fw('1.4.0', { referenceValues: measured }, 'withdrawn')])).reasonCode, 'ATTESTATION_FIRMWARE_WITHDRAWN', 'alone, the withdrawn one is refused');
  });

  it("the product policy's required PCRs: a release matched on PCR 0 alone is affirming without it, refused with it until the release references PCR 7 too", () => {
    const pcr0Only = readReferenceValues({ bank: 'sha256', pcrs: { '0': [hex('bootloader 2.1.0'), hex('firmware image 1.4.0')] } });
    assert.equal(appraiseEvidence(quoteInput([fw('1.4.0', { referenceValues: pcr0Only })])).status, 'affirming', 'PCR 7 (Secure Boot state) unseen');
    const refused = appraiseEvidence({ ...quoteInput([fw('1.4.0', { referenceValues: pcr0Only })]), requiredPcrs: [0, 7] });
    assert.equal(refused.status, 'contraindicated');
    assert.equal(refused.reasonCode, 'ATTESTATION_FIRMWARE_PCR_UNREFERENCED');
    assert.match(refused.reason ?? '', /requires PCR 7, for which release 1\.4\.0 carries no reference value/);
    assert.equal(refused.trustworthiness.executables, 96);
    assert.equal(appraiseEvidence({ ...quoteInput([fw('1.4.0', { referenceValues: measured })]), requiredPcrs: [0, 7] }).status, 'affirming');
  });

  it('each step refuses with its own code', () => {
    const cases: [ReleaseRecord[], number | undefined, string][] = [
      [[fw('1.3.0', { referenceValues: other })], undefined, 'ATTESTATION_FIRMWARE_UNKNOWN'],
      [[fw('1.4.0', { referenceValues: null })], undefined, 'ATTESTATION_FIRMWARE_UNKNOWN'],
      [[fw('1.4.0', { referenceValues: measured }, 'awaiting-approval')], undefined, 'ATTESTATION_FIRMWARE_NOT_PUBLISHED'],
      [[fw('1.4.0', { referenceValues: measured }, 'withdrawn')], undefined, 'ATTESTATION_FIRMWARE_WITHDRAWN'],
      [[fw('1.4.0', { referenceValues: measured, securityVersion: 2 })], 3, 'ATTESTATION_FIRMWARE_ROLLBACK'],
    ];
    for (const [releases, installed, code] of cases) {
      const a = appraiseEvidence(quoteInput(releases, installed));
      assert.equal(a.status, 'contraindicated');
      assert.equal(a.reasonCode, code);
      assert.equal(a.trustworthiness.executables, 96);
    }
    const unanchored = appraiseEvidence({ ...quoteInput([fw('1.4.0', { referenceValues: measured })]), attestationKeyAnchored: false });
    assert.equal(unanchored.reasonCode, 'EK_CERTIFICATE_UNTRUSTED', "the AK's manufacturer CA no longer trusted");
    assert.equal(unanchored.trustworthiness['instance-identity'], 96);
    const noKey = appraiseEvidence({ ...quoteInput([fw('1.4.0', { referenceValues: measured })]), attestationKey: undefined });
    assert.equal(noKey.reasonCode, 'ATTESTATION_KEY_UNKNOWN');
    assert.equal(noKey.trustworthiness['instance-identity'], 96);
    const otherNonce = appraiseEvidence({ ...quoteInput([fw('1.4.0', { referenceValues: measured })]), nonce: new Uint8Array(32) });
    assert.equal(otherNonce.reasonCode, 'ATTESTATION_NONCE_MISMATCH');
  });
});

describe('appraisal: claims, a software attester’s word', () => {
  const image = hex('firmware image 1.4.0');
  const config = hex('configuration 1.4.0');
  const claims = (serial: string, key = deviceKey.privateKey, over: { securityVersion?: number; configuration?: string } = {}) =>
    signClaimsToken(
      {
        nonce: b(vector.nonce),
        serial,
        version: '1.4.0',
        firmwareDigest: { alg: 'sha256', value: new Uint8Array(Buffer.from(image, 'hex')) },
        securityVersion: over.securityVersion ?? 3,
        configurationDigest: { alg: 'sha256', value: new Uint8Array(Buffer.from(over.configuration ?? config, 'hex')) },
        bootMeasurements: [{ alg: 'sha256', value: new Uint8Array(32) }],
      },
      key,
    );
  const firmware = fw('1.4.0', { imageSha256: image, securityVersion: 3 });
  const input = (token: Uint8Array, releases: ReleaseRecord[] = [firmware], installed?: number): AppraisalInput => ({ ...quoteInput(releases, installed), evidence: { kind: 'eat-claims', token } });
  const configRelease = (state: ReleaseRecord['state'] = 'published', over: Partial<ReleaseRecord> = {}) => fw('c1', { kind: 'config', imageSha256: config, ...over }, state);

  it('the image digest of a published release: a warning, never affirming', () => {
    const a = appraiseEvidence(input(claims('GW-1')));
    assert.equal(a.status, 'warning');
    assert.equal(a.reasonCode, null);
    assert.equal(a.trustworthiness.executables, 32);
  });

  it('claims naming another device, or signed by another key, are refused', () => {
    assert.equal(appraiseEvidence(input(claims('GW-2'))).reasonCode, 'ATTESTATION_CLAIMS_DEVICE_MISMATCH');
    assert.equal(appraiseEvidence(input(claims('GW-1', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))).reasonCode, 'ATTESTATION_SIGNATURE_INVALID');
  });

  it('the claimed security version must be the release\'s, and not below the installed one: each its own code', () => {
    assert.equal(appraiseEvidence(input(claims('GW-1', undefined, { securityVersion: 3 }), [firmware], 3)).status, 'warning');
    const below = appraiseEvidence(input(claims('GW-1', undefined, { securityVersion: 2 }), [firmware], 3));
    assert.equal(below.reasonCode, 'ATTESTATION_FIRMWARE_ROLLBACK');
    assert.equal(below.trustworthiness.executables, 96);
    for (const claimed of [2, 4, 0]) {
      const a = appraiseEvidence(input(claims('GW-1', undefined, { securityVersion: claimed })));
      assert.equal(a.reasonCode, 'ATTESTATION_SECURITY_VERSION_MISMATCH', `claimed ${claimed}`);
      assert.equal(a.trustworthiness.executables, 96);
      assert.equal(a.release?.id, '1.4.0', 'the release the firmware digest identified');
    }
  });

  it('the configuration digest against the product\'s configuration releases, when it has any', () => {
    // no configuration release: nothing to compare with, and the result says nothing about configuration
    const unchecked = appraiseEvidence(input(claims('GW-1', undefined, { configuration: hex('anything') })));
    assert.equal(unchecked.status, 'warning');
    assert.equal(unchecked.trustworthiness.configuration, undefined);
    const good = appraiseEvidence(input(claims('GW-1'), [firmware, configRelease()]));
    assert.equal(good.status, 'warning');
    assert.equal(good.trustworthiness.configuration, 32);
    const cases: [ReleaseRecord, string][] = [
      [configRelease('published', { imageSha256: hex('configuration 1.3.0') }), 'ATTESTATION_CONFIGURATION_UNKNOWN'],
      [configRelease('awaiting-approval'), 'ATTESTATION_CONFIGURATION_UNKNOWN'],
      [configRelease('withdrawn'), 'ATTESTATION_CONFIGURATION_WITHDRAWN'],
    ];
    for (const [release, code] of cases) {
      const a = appraiseEvidence(input(claims('GW-1'), [firmware, release]));
      assert.equal(a.reasonCode, code);
      assert.deepEqual(a.trustworthiness, { configuration: 96 });
    }
    // a firmware image's digest is no configuration
    assert.equal(appraiseEvidence(input(claims('GW-1', undefined, { configuration: image }), [firmware, configRelease()])).reasonCode, 'ATTESTATION_CONFIGURATION_UNKNOWN');
  });
});

describe('appraisal: the quote clock (TPMS_CLOCK_INFO)', () => {
  // Structures built in software and signed by a software AK, so the counters and safe can be set at will.
  const tpm = softwareTpm();
  const nonce = new Uint8Array(32).fill(7);
  const pcrs = new Map([[0, new Uint8Array(Buffer.from(measured!.pcrs['0']!.value, 'hex'))], [7, new Uint8Array(Buffer.from(measured!.pcrs['7']!.value, 'hex'))]]);
  const quoteWith = (clockInfo: { resetCount: number; restartCount: number; safe: boolean }, last?: { resetCount: number; restartCount: number } | null): AppraisalInput => {
    const attest = encodeTpmsAttest({ ...quoteAttest(tpm, nonce, 'sha256', pcrs), clockInfo: { clock: 5000n, ...clockInfo } });
    return {
      ...quoteInput([fw('1.4.0', { referenceValues: measured })]),
      nonce,
      attestationKey: { akPublic: tpm.akPublic, ekPublic: tpm.ekPublic },
      evidence: { kind: 'tpm2-quote', akPublic: tpm.akPublic, attest, signature: signAttest(tpm, attest), pcrs: { alg: 'sha256', values: pcrs } },
      lastQuoteClock: last,
    };
  };

  it('counters at or ahead of the last verified quote pass, and are handed back to be recorded', () => {
    for (const last of [undefined, null, { resetCount: 4, restartCount: 2 }, { resetCount: 3, restartCount: 9 }, { resetCount: 4, restartCount: 1 }]) {
      const a = appraiseEvidence(quoteWith({ resetCount: 4, restartCount: 2, safe: true }, last));
      assert.equal(a.status, 'affirming', JSON.stringify(last));
      assert.deepEqual(a.quoteClock, { resetCount: 4, restartCount: 2 });
    }
  });

  it('counters behind the last verified quote are QUOTE_CLOCK_ROLLBACK, the hardware contraindicated, and are not recorded', () => {
    for (const last of [{ resetCount: 5, restartCount: 0 }, { resetCount: 4, restartCount: 3 }]) {
      const a = appraiseEvidence(quoteWith({ resetCount: 4, restartCount: 2, safe: true }, last));
      assert.equal(a.reasonCode, 'QUOTE_CLOCK_ROLLBACK', JSON.stringify(last));
      assert.deepEqual(a.trustworthiness, { hardware: 96 });
      assert.equal(a.quoteClock, undefined);
    }
  });

  it('a later refusal (the firmware) still hands back the verified counters', () => {
    const a = appraiseEvidence({ ...quoteWith({ resetCount: 4, restartCount: 2, safe: true }), releases: [] });
    assert.equal(a.reasonCode, 'ATTESTATION_FIRMWARE_UNKNOWN');
    assert.deepEqual(a.quoteClock, { resetCount: 4, restartCount: 2 });
  });

  it('safe = NO is a warning on the hardware, not a refusal', () => {
    const a = appraiseEvidence(quoteWith({ resetCount: 4, restartCount: 2, safe: false }));
    assert.equal(a.status, 'warning');
    assert.equal(a.reasonCode, null);
    assert.deepEqual(a.trustworthiness, { 'instance-identity': 2, hardware: 32, executables: 2 });
  });
});
