// The checked-in vectors (test/vectors/boot-manifest/, from scripts/boot-manifest-vectors.ts) verify
// or fail as labelled, and what is deterministic in them still matches the code.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { toPem } from '../../core/pem.ts';
import { parseCoseSign, sigStructure } from './cose-sign.ts';
import { checkManifestApplies } from './manifest-applies.ts';
import { encodeManifestPayload } from './manifest-payload.ts';
import { annotatedDump } from './testing/annotated-dump.ts';
import {
  vectorDevice,
  vectorExpectations,
  vectorImage,
  vectorKeys,
  vectorManifest,
  vectorsDescription,
} from './testing/boot-manifest-vectors.ts';
import { verifyBootManifest } from './verify-boot-manifest.ts';

const dir = new URL('../../../test/vectors/boot-manifest/', import.meta.url);
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, dir)));
const readText = (name: string): string => readFileSync(new URL(name, dir), 'utf8');

describe('boot manifest test vectors', () => {
  const keys = vectorKeys();
  const trust = { ed25519Spki: read('ed25519.spki.der'), mlDsa65Spki: read('ml-dsa-65.spki.der') };

  it('hold the keys the fixed seeds give, as DER and PEM, and the description the code gives', () => {
    assert.deepEqual(trust, keys.trust);
    assert.equal(readText('ed25519.spki.pem'), toPem(keys.trust.ed25519Spki, 'PUBLIC KEY'));
    assert.equal(readText('ml-dsa-65.spki.pem'), toPem(keys.trust.mlDsa65Spki, 'PUBLIC KEY'));
    assert.deepEqual(JSON.parse(readText('vectors.json')), JSON.parse(JSON.stringify(vectorsDescription(keys))));
    assert.deepEqual(read('image.bin'), vectorImage());
  });

  it('valid.cbor carries the deterministic payload and the deterministic Ed25519 signature', async () => {
    const message = parseCoseSign(read('valid.cbor'));
    assert.deepEqual(message.payload, encodeManifestPayload(vectorManifest()));
    const [ed] = message.signatures;
    assert.ok(ed);
    assert.deepEqual(
      ed.signature,
      await keys.signers.ed25519.sign(sigStructure(message.bodyProtected, ed.protected, message.payload)),
    );
    assert.equal(readText('valid.annotated.txt'), annotatedDump(read('valid.cbor')));
  });

  it('docs/reference/boot-manifest.md shows the deterministic parts of valid.cbor byte for byte', () => {
    const doc = readFileSync(new URL('../../../docs/reference/boot-manifest.md', import.meta.url), 'utf8');
    // Every annotated section but the envelope, whose ML-DSA-65 signature changes at each regeneration.
    const sections = readText('valid.annotated.txt')
      .split(/\n# [^\n]*\n/)
      .slice(1);
    assert.equal(sections.length, 4);
    for (const section of sections) assert.ok(doc.includes(section.trimEnd()), section.slice(0, 80));
  });

  it('valid.cbor verifies, describes image.bin and applies to the vector device', () => {
    const manifest = verifyBootManifest(read('valid.cbor'), trust);
    assert.deepEqual(manifest, vectorManifest());
    const image = read('image.bin');
    assert.equal(manifest.image.length, image.length);
    assert.deepEqual(manifest.image.sha256, new Uint8Array(createHash('sha256').update(image).digest()));
    assert.deepEqual(manifest.image.sha512, new Uint8Array(createHash('sha512').update(image).digest()));
    assert.equal(checkManifestApplies(manifest, vectorDevice), undefined);
  });

  for (const vector of vectorExpectations.filter((v) => v.expect !== 'accept')) {
    it(`${vector.file} is refused with ${vector.expect}`, () => {
      const bytes = read(vector.file);
      if (vector.expect === 'MANIFEST_SIGNATURE_INVALID') {
        assert.throws(
          () => verifyBootManifest(bytes, trust),
          (e) => e instanceof TrustplaneError && e.code === vector.expect && e.details?.algorithm === vector.algorithm,
        );
      } else {
        assert.equal(checkManifestApplies(verifyBootManifest(bytes, trust), vectorDevice)?.code, vector.expect);
      }
    });
  }
});
