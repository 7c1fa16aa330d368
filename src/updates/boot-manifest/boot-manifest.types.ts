import type { Signer } from '../../crypto/signer.ts';

/**
 * The signed boot manifest (docs/reference/boot-manifest.md): what a bootloader needs to decide
 * whether the image in a slot may boot. Field numbers are the CBOR map keys of the payload.
 */

export const bootManifestKinds = ['firmware', 'config'] as const;
export type BootManifestKind = (typeof bootManifestKinds)[number];

/** The image a manifest vouches for: its length and two digests of its exact bytes. */
export interface BootImage {
  /** Bytes in the image (key 1); at least 1. */
  readonly length: number;
  /** SHA-256 of the image (key 2), 32 bytes. */
  readonly sha256: Uint8Array;
  /** SHA-512 of the image (key 3), 64 bytes. */
  readonly sha512: Uint8Array;
}

export interface BootManifest {
  /** Key 1: layout of this payload; only 1 exists. */
  readonly formatVersion: 1;
  /** Key 2: the product SKU the image is built for. */
  readonly product: string;
  /** Key 3. */
  readonly kind: BootManifestKind;
  /** Key 4: the release's display version ("2.4.1"); never compared for ordering. */
  readonly version: string;
  /** Key 5: anti-rollback counter (MCUboot's security counter, SUIT's sequence number); 0 … 2^32−1. */
  readonly securityVersion: number;
  /** Key 6: hardware revisions the image runs on; empty means every revision of the product. */
  readonly hardware: readonly string[];
  /** Key 7. */
  readonly image: BootImage;
  /** Key 8: the release this manifest was signed for. */
  readonly releaseId: string;
  /** Key 9: when the manifest was signed, seconds since the Unix epoch. */
  readonly issuedAt: number;
}

/** The two keys that sign a manifest: both signatures are made and both must verify (hybrid). */
export interface BootManifestSigners {
  readonly ed25519: Signer;
  readonly mlDsa65: Signer;
}

/** The verifier's trust anchors: DER SubjectPublicKeyInfo of each expected key. */
export interface BootManifestTrust {
  readonly ed25519Spki: Uint8Array;
  readonly mlDsa65Spki: Uint8Array;
}

/** What the device knows about itself when it checks that a verified manifest is for it. */
export interface DeviceBootState {
  readonly sku: string;
  readonly hardwareRevision: string;
  /** The counter kept in tamper-resistant storage, raised only after a new image has booted. */
  readonly installedSecurityVersion: number;
}
