// Issue 15, evidence verified per second on one core, in this process, next to the raw verify
// rate of the signing key's algorithm measured interleaved with it (bench/limit.ts measurePairedRates):
// a real swtpm quote (test/vectors/tpm/quote-ecc-p256.json, ECDSA P-256 AK) through
// verifyTpmQuote, from its JSON wire form too; claims tokens (COSE_Sign1, ES256 and Ed25519
// device keys) through verifyClaimsToken; and the whole pure appraisal (appraiseEvidence) of both
// against a product's releases as reference values. No I/O, no database: the verifier's CPU floor.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appraiseEvidence, type AppraisalInput } from '../src/attestation/appraisal/appraise-evidence.ts';
import { signClaimsToken, verifyClaimsToken, type DeviceClaims } from '../src/attestation/claims/index.ts';
import { decodeTpmQuoteEvidence, verifyTpmQuote } from '../src/attestation/tpm/index.ts';
import { decodeBase64Strict } from '../src/ledger/strict-base64.ts';
import type { DeviceRecord } from '../src/pki/records.types.ts';
import { readReferenceValues } from '../src/updates/release-reference-values.ts';
import type { ReleaseRecord } from '../src/updates/release.types.ts';
import { parseCoseSign1, sig1Structure } from '../src/updates/boot-manifest/cose-sign.ts';
import { measurePairedRates, measureVerifyRate, rawVerify } from './limit.ts';

export interface EvidenceRow {
  what: string;
  perSecond: number;
  /** the raw verify rate it is put next to */
  limit: 'ecdsa-p256' | 'ed25519';
  /** that raw verify's rate measured interleaved with this row (limit.ts measurePairedRates) */
  pairedRawPerSecond: number;
}

export interface EvidenceRates {
  /** raw crypto.verify per second, higher of before / after */
  limits: Record<EvidenceRow['limit'], { before: number; after: number }>;
  rows: EvidenceRow[];
  /** how many releases the appraisal rows search */
  releases: number;
}

const vector = JSON.parse(
  readFileSync(new URL('../test/vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8'),
) as {
  nonce: string;
  ekPublic: string;
  evidence: unknown;
};
const b64 = (s: string): Uint8Array =>
  decodeBase64Strict(s) ??
  (() => {
    throw new Error('bad base64 in the vector');
  })();
const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const hex = (s: string): string => Buffer.from(sha256(s)).toString('hex');

/** `n` published firmware releases; the last carries the vector's measurements and the claims' image digest. */
function releases(n: number): ReleaseRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const last = i === n - 1;
    const boot = last
      ? ['bootloader 2.1.0', 'firmware image 1.4.0']
      : ['bootloader 2.1.0', `firmware image 1.${i}.0-old`];
    return {
      id: `rel_${String(i).padStart(20, '0')}`,
      productId: 'prd_bench',
      version: last ? '1.4.0' : `1.${i}.0-old`,
      securityVersion: i + 1,
      kind: 'firmware',
      updateType: 'security',
      hardware: [],
      imageName: 'image.bin',
      imageSha256: last ? hex('firmware image 1.4.0') : hex(`image ${i}`),
      imageSha512: createHash('sha512').update(`image ${i}`).digest('hex'),
      imageLength: 1024,
      sbom: null,
      state: 'published',
      createdBy: 'bench',
      createdAt: new Date(),
      publishedAt: new Date(),
      retainUntil: null,
      targetName: null,
      manifest: null,
      withdrawal: null,
      referenceValues: readReferenceValues({
        bank: 'sha256',
        pcrs: { '0': boot.map(hex), '7': [hex('configuration 1.4.0')] },
      }),
    };
  });
}

const device: DeviceRecord = {
  id: 'dev_bench',
  productId: 'prd_bench',
  serial: 'SN-000042',
  hardwareId: null,
  state: 'active',
  currentCertificateSerial: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  reprovision: null,
};

function claims(nonce: Uint8Array): DeviceClaims {
  return {
    nonce,
    serial: device.serial,
    version: '1.4.0',
    firmwareDigest: { alg: 'sha256', value: sha256('firmware image 1.4.0') },
    securityVersion: 10,
    configurationDigest: { alg: 'sha256', value: sha256('configuration 1.4.0') },
    bootMeasurements: [
      { alg: 'sha256', value: sha256('bootloader 2.1.0') },
      { alg: 'sha256', value: sha256('firmware image 1.4.0') },
    ],
  };
}

export function measureEvidenceRates(seconds: number, releaseCount: number): EvidenceRates {
  const nonce = b64(vector.nonce);
  const quote = decodeTpmQuoteEvidence(vector.evidence);
  const registered = { akPublic: quote.akPublic, ekPublic: b64(vector.ekPublic) };
  const known = releases(releaseCount);
  const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed25519 = generateKeyPairSync('ed25519');
  const tokens = {
    es256: signClaimsToken(claims(nonce), es256.privateKey),
    ed25519: signClaimsToken(claims(nonce), ed25519.privateKey),
  };
  const signedBytes = (token: Uint8Array): number => {
    const s = parseCoseSign1(token, 'ATTESTATION_EVIDENCE_MALFORMED');
    return sig1Structure(s.protected, s.payload).length;
  };
  const appraise =
    (input: Omit<AppraisalInput, 'device' | 'nonce' | 'releases' | 'installedSecurityVersion'>, expected: string) =>
    () => {
      const a = appraiseEvidence({ ...input, device, nonce, releases: known, installedSecurityVersion: 3 });
      if (a.status !== expected) throw new Error(`appraisal: ${a.status} ${a.reasonCode ?? ''} ${a.reason ?? ''}`);
    };
  const claimsInput = (token: Uint8Array, key: KeyObject) => ({
    evidence: { kind: 'eat-claims' as const, token },
    attestationKey: undefined,
    deviceKey: key,
  });
  const limit = (): Record<EvidenceRow['limit'], number> => ({
    'ecdsa-p256': measureVerifyRate('ecdsa-p256', quote.attest.length, seconds),
    ed25519: measureVerifyRate('ed25519', signedBytes(tokens.ed25519), seconds),
  });

  const before = limit();
  const raw = { 'ecdsa-p256': rawVerify('ecdsa-p256', quote.attest.length), ed25519: rawVerify('ed25519', signedBytes(tokens.ed25519)) };
  const row = (what: string, limit: EvidenceRow['limit'], operation: () => void): EvidenceRow => {
    const { perSecond, peerPerSecond } = measurePairedRates(operation, raw[limit], seconds);
    return { what, limit, perSecond, pairedRawPerSecond: peerPerSecond };
  };
  const rows: EvidenceRow[] = [
    row('verifyTpmQuote (swtpm quote, decoded once)', 'ecdsa-p256', () => void verifyTpmQuote(quote, nonce, registered)),
    row(
      'decodeTpmQuoteEvidence + verifyTpmQuote (from the JSON wire form)',
      'ecdsa-p256',
      () => void verifyTpmQuote(decodeTpmQuoteEvidence(vector.evidence), nonce, registered),
    ),
    row(
      `appraiseEvidence, TPM quote, ${releaseCount} releases → affirming`,
      'ecdsa-p256',
      appraise({ evidence: quote, attestationKey: registered, deviceKey: es256.publicKey }, 'affirming'),
    ),
    row('verifyClaimsToken, ES256 device key', 'ecdsa-p256', () => void verifyClaimsToken(tokens.es256, nonce, es256.publicKey)),
    row(
      `appraiseEvidence, ES256 claims, ${releaseCount} releases → warning`,
      'ecdsa-p256',
      appraise(claimsInput(tokens.es256, es256.publicKey), 'warning'),
    ),
    row('verifyClaimsToken, Ed25519 device key', 'ed25519', () => void verifyClaimsToken(tokens.ed25519, nonce, ed25519.publicKey)),
    row(
      `appraiseEvidence, Ed25519 claims, ${releaseCount} releases → warning`,
      'ed25519',
      appraise(claimsInput(tokens.ed25519, ed25519.publicKey), 'warning'),
    ),
  ];
  const after = limit();
  return {
    limits: {
      'ecdsa-p256': { before: before['ecdsa-p256'], after: after['ecdsa-p256'] },
      ed25519: { before: before.ed25519, after: after.ed25519 },
    },
    rows,
    releases: releaseCount,
  };
}
