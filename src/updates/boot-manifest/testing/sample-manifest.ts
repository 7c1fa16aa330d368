import { createHash } from 'node:crypto';
import type { BootManifest } from '../boot-manifest.types.ts';

/** Test kit: a valid manifest for `image`, with any field overridden. */
export function sampleManifest(
  image: Uint8Array = new TextEncoder().encode('trustplane test image'),
  overrides: Partial<BootManifest> = {},
): BootManifest {
  return {
    formatVersion: 1,
    product: 'TP-GW-100',
    kind: 'firmware',
    version: '2.4.1',
    securityVersion: 7,
    hardware: ['rev-b', 'rev-c'],
    image: {
      length: image.length,
      sha256: new Uint8Array(createHash('sha256').update(image).digest()),
      sha512: new Uint8Array(createHash('sha512').update(image).digest()),
    },
    releaseId: 'rel_01JTESTRELEASE0000000000',
    issuedAt: 1_767_225_600, // 2026-01-01T00:00:00Z
    ...overrides,
  };
}
