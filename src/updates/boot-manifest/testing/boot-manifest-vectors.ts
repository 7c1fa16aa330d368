import { createHash } from 'node:crypto';
import { toPem } from '../../../core/pem.ts';
import type { BootManifest, DeviceBootState } from '../boot-manifest.types.ts';
import { encodeCoseSign } from '../cose-sign.ts';
import { BOOT_MANIFEST_CONTENT_TYPE, manifestKeyId, signatureSlots } from '../manifest-algorithms.ts';
import { signBootManifest } from '../sign-boot-manifest.ts';
import { annotatedDump } from './annotated-dump.ts';
import { flipBit, forgeParts } from './forge.ts';
import { seededManifestKeys, type ManifestKeys } from './manifest-keys.ts';
import { sampleManifest } from './sample-manifest.ts';

/**
 * The boot manifest test vectors (test/vectors/boot-manifest/, written by
 * scripts/boot-manifest-vectors.ts, checked by boot-manifest-vectors.test.ts). Keys come from fixed
 * seeds, so regenerating yields the same keys, payloads and Ed25519 signatures; ML-DSA-65 signing is
 * hedged (randomised), so its signature bytes change at every run.
 */

const seed = (label: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(`trustplane boot manifest test vector key: ${label}`).digest());
export const vectorSeeds = { ed25519: seed('ed25519'), mlDsa65: seed('ml-dsa-65') };
export const vectorKeys = (): ManifestKeys => seededManifestKeys(vectorSeeds.ed25519, vectorSeeds.mlDsa65);

/** 4 KiB whose byte i is i mod 251: easy to recreate, no repeating 256-byte block. */
export const vectorImage = (): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => i % 251);

export const vectorManifest = (overrides: Partial<BootManifest> = {}): BootManifest =>
  sampleManifest(vectorImage(), {
    product: 'TP-GW-100',
    kind: 'firmware',
    version: '2.4.1',
    securityVersion: 8,
    hardware: ['rev-b', 'rev-c'],
    releaseId: 'rel_vector_0001',
    issuedAt: 1_767_225_600,
    ...overrides,
  });

/** The device every vector is checked against. */
export const vectorDevice: DeviceBootState = {
  sku: 'TP-GW-100',
  hardwareRevision: 'rev-b',
  installedSecurityVersion: 7,
};

export interface VectorExpectation {
  readonly file: string;
  readonly description: string;
  /** "accept", or the error code a verifier (signature checks) or checkManifestApplies (device checks) gives. */
  readonly expect: 'accept' | 'MANIFEST_SIGNATURE_INVALID' | 'MANIFEST_ROLLBACK' | 'MANIFEST_HARDWARE_MISMATCH';
  readonly algorithm?: string;
}

export const vectorExpectations: readonly VectorExpectation[] = [
  {
    file: 'valid.cbor',
    description: 'both signatures verify; image.bin matches; applies to the device (security version 8 ≥ 7)',
    expect: 'accept',
  },
  {
    file: 'ml-dsa-65-signature-broken.cbor',
    description: 'one bit of the ML-DSA-65 signature flipped; the Ed25519 signature still verifies',
    expect: 'MANIFEST_SIGNATURE_INVALID',
    algorithm: 'ml-dsa-65',
  },
  {
    file: 'ed25519-signature-broken.cbor',
    description: 'one bit of the Ed25519 signature flipped; the ML-DSA-65 signature still verifies',
    expect: 'MANIFEST_SIGNATURE_INVALID',
    algorithm: 'ed25519',
  },
  {
    file: 'rollback.cbor',
    description: 'validly signed, security version 6 below the installed 7',
    expect: 'MANIFEST_ROLLBACK',
  },
  {
    file: 'hardware-mismatch.cbor',
    description: 'validly signed for hardware rev-a only',
    expect: 'MANIFEST_HARDWARE_MISMATCH',
  },
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function manifestJson(m: BootManifest): object {
  return { ...m, image: { length: m.image.length, sha256: hex(m.image.sha256), sha512: hex(m.image.sha512) } };
}

/** vectors.json: everything a bootloader test needs besides the binary files; nothing in it is random. */
export function vectorsDescription(keys: ManifestKeys): object {
  const [ed, ml] = signatureSlots;
  return {
    about:
      'trustplane signed boot manifest test vectors; see docs/reference/boot-manifest.md. Test keys only: the seeds are public.',
    regenerate: 'node scripts/boot-manifest-vectors.ts',
    contentType: BOOT_MANIFEST_CONTENT_TYPE,
    keys: {
      ed25519: {
        coseAlg: ed.coseAlg,
        seed: hex(vectorSeeds.ed25519),
        spki: 'ed25519.spki.der',
        kid: hex(manifestKeyId(keys.trust.ed25519Spki)),
      },
      'ml-dsa-65': {
        coseAlg: ml.coseAlg,
        seed: hex(vectorSeeds.mlDsa65),
        spki: 'ml-dsa-65.spki.der',
        kid: hex(manifestKeyId(keys.trust.mlDsa65Spki)),
      },
    },
    image: 'image.bin',
    device: vectorDevice,
    manifest: manifestJson(vectorManifest()),
    vectors: vectorExpectations,
  };
}

async function brokenSignature(keys: ManifestKeys, slot: number): Promise<Uint8Array> {
  const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest: vectorManifest() });
  const broken = entries.map((e, i) => (i === slot ? { ...e, signature: flipBit(e.signature, 10) } : e));
  return encodeCoseSign(bodyProtected, payload, broken);
}

/** Every vector file, by name. */
export async function buildBootManifestVectors(): Promise<Map<string, Uint8Array | string>> {
  const keys = vectorKeys();
  const valid = await signBootManifest(vectorManifest(), keys.signers);
  return new Map<string, Uint8Array | string>([
    ['vectors.json', JSON.stringify(vectorsDescription(keys), null, 2) + '\n'],
    ['image.bin', vectorImage()],
    ['ed25519.spki.der', keys.trust.ed25519Spki],
    ['ed25519.spki.pem', toPem(keys.trust.ed25519Spki, 'PUBLIC KEY')],
    ['ml-dsa-65.spki.der', keys.trust.mlDsa65Spki],
    ['ml-dsa-65.spki.pem', toPem(keys.trust.mlDsa65Spki, 'PUBLIC KEY')],
    ['valid.cbor', valid],
    ['valid.annotated.txt', annotatedDump(valid)],
    ['ml-dsa-65-signature-broken.cbor', await brokenSignature(keys, 1)],
    ['ed25519-signature-broken.cbor', await brokenSignature(keys, 0)],
    [
      'rollback.cbor',
      await signBootManifest(vectorManifest({ securityVersion: 6, releaseId: 'rel_vector_0000' }), keys.signers),
    ],
    [
      'hardware-mismatch.cbor',
      await signBootManifest(vectorManifest({ hardware: ['rev-a'], releaseId: 'rel_vector_0002' }), keys.signers),
    ],
  ]);
}
