// Writes the boot manifest test vectors to test/vectors/boot-manifest/ (docs/reference/boot-manifest.md).
// Run: node scripts/boot-manifest-vectors.ts
// Keys, payloads and Ed25519 signatures come out the same every run; ML-DSA-65 signatures are
// hedged, so the .cbor files change and the vectors test checks each verifies or fails as labelled.
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildBootManifestVectors } from '../src/updates/boot-manifest/testing/boot-manifest-vectors.ts';

const dir = new URL('../test/vectors/boot-manifest/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, contents] of await buildBootManifestVectors()) {
  writeFileSync(new URL(name, dir), contents);
  console.log(`wrote test/vectors/boot-manifest/${name}`);
}
