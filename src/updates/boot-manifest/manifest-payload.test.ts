import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import type { BootManifest } from './boot-manifest.types.ts';
import { decodeManifestPayload, encodeManifestPayload } from './manifest-payload.ts';
import { sampleManifest } from './testing/sample-manifest.ts';

const visible = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: max,
  });

const anyManifest: fc.Arbitrary<BootManifest> = fc.record({
  formatVersion: fc.constant(1 as const),
  product: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  kind: fc.constantFrom('firmware' as const, 'config' as const),
  version: visible(64),
  securityVersion: fc.integer({ min: 0, max: 0xffff_ffff }),
  hardware: fc.uniqueArray(visible(64), { maxLength: 32 }),
  image: fc.record({
    length: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    sha256: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    sha512: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  }),
  releaseId: visible(128),
  issuedAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

describe('manifest payload', () => {
  it('decodes to the manifest it encodes, for any valid manifest', () => {
    fc.assert(
      fc.property(anyManifest, (m) => {
        // fast-check's records have a null prototype; compare plain copies
        assert.deepEqual(decodeManifestPayload(encodeManifestPayload(m)), { ...m, image: { ...m.image } });
      }),
      { numRuns: 1000 },
    );
  });

  it('is the documented map with integer keys 1..9, image keys 1..3 (RFC 8949 §4.2.1 order)', () => {
    const m = sampleManifest(new Uint8Array(0), {
      product: 'P',
      version: '1',
      hardware: [],
      releaseId: 'r',
      issuedAt: 0,
      securityVersion: 0,
      image: { length: 1, sha256: new Uint8Array(32), sha512: new Uint8Array(64) },
    });
    const hex = Buffer.from(encodeManifestPayload(m)).toString('hex');
    const expected =
      'a9' +
      '0101' +
      '026150' +
      '0368' +
      Buffer.from('firmware').toString('hex') +
      '046131' +
      '0500' +
      '0680' +
      '07a3' +
      '0101' +
      '025820' +
      '00'.repeat(32) +
      '035840' +
      '00'.repeat(64) +
      '086172' +
      '0900';
    assert.equal(hex, expected);
  });

  it('refuses to encode a manifest that breaks a field rule', () => {
    const bad: [string, Partial<BootManifest>][] = [
      ['product', { product: 'no spaces allowed' }],
      ['kind', { kind: 'bootloader' as BootManifest['kind'] }],
      ['version', { version: '' }],
      ['securityVersion', { securityVersion: 2 ** 32 }],
      ['securityVersion', { securityVersion: -1 }],
      ['hardware', { hardware: ['rev-a', 'rev-a'] }],
      ['hardware', { hardware: Array.from({ length: 33 }, (_, i) => `r${i}`) }],
      ['image', { image: { length: 0, sha256: new Uint8Array(32), sha512: new Uint8Array(64) } }],
      ['image', { image: { length: 1, sha256: new Uint8Array(31), sha512: new Uint8Array(64) } }],
      ['releaseId', { releaseId: 'x'.repeat(129) }],
      ['issuedAt', { issuedAt: 1.5 }],
    ];
    for (const [field, override] of bad) {
      assert.throws(
        () => encodeManifestPayload(sampleManifest(undefined, override)),
        (e) => e instanceof TrustplaneError && e.code === 'VALIDATION_FAILED' && e.details?.field === field,
        field,
      );
    }
  });

  it('refuses a payload with a field of the wrong type, a missing key or a tag', () => {
    const canonical = encodeManifestPayload(sampleManifest());
    const variants = {
      'formatVersion 2': Uint8Array.of(0xa9, 0x01, 0x02, ...canonical.subarray(3)),
      'eight keys': Uint8Array.of(0xa8, ...canonical.subarray(3)),
      'formatVersion as a tagged bignum': Uint8Array.of(0xa9, 0x01, 0xc2, 0x41, 0x01, ...canonical.subarray(3)),
      'formatVersion as a float': Uint8Array.of(0xa9, 0x01, 0xf9, 0x3c, 0x00, ...canonical.subarray(3)),
      'not a map': Uint8Array.of(0x80),
    };
    for (const [what, bytes] of Object.entries(variants)) {
      assert.throws(
        () => decodeManifestPayload(bytes),
        (e) => e instanceof TrustplaneError && e.code === 'MANIFEST_MALFORMED',
        what,
      );
    }
  });
});
