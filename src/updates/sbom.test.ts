import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isTrustplaneError } from '../core/errors.ts';
import { checkSbom, schemaValidator } from './sbom.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../test/fixtures/sbom/${name}`, import.meta.url));
const firmware15 = fixture('firmware-1.5.cdx.json');
const firmware16 = fixture('firmware-1.6.cdx.json');
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const edited = (bytes: Buffer, edit: (doc: any) => void): Uint8Array => {
  const doc = JSON.parse(bytes.toString('utf8'));
  edit(doc);
  return encode(doc);
};

async function refusal(bytes: Uint8Array, options?: { maxBytes: number }): Promise<{ code: string; message: string }> {
  try {
    await checkSbom(bytes, options);
  } catch (e) {
    if (isTrustplaneError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  assert.fail('the SBOM was accepted');
}

describe('checkSbom', () => {
  it('summarises a CycloneDX 1.5 firmware SBOM', async () => {
    assert.deepEqual(await checkSbom(firmware15), {
      specVersion: '1.5',
      serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
      component: {
        name: 'acme-gateway-firmware',
        version: '4.2.0',
        purl: 'pkg:generic/acme/acme-gateway-firmware@4.2.0',
      },
      componentCount: 5, // linux, rootfs.squashfs and, inside it, busybox, openssl, zlib
      sha256: createHash('sha256').update(firmware15).digest('hex'),
    });
  });

  it('summarises a CycloneDX 1.6 firmware SBOM, and refuses it relabelled 1.5 (manufacturer is new in 1.6)', async () => {
    const summary = await checkSbom(firmware16);
    assert.equal(summary.specVersion, '1.6');
    assert.equal(summary.componentCount, 5);
    const relabelled = await refusal(edited(firmware16, (d) => (d.specVersion = '1.5')));
    assert.equal(relabelled.code, 'SBOM_INVALID');
    assert.match(relabelled.message, /\/metadata: must NOT have additional properties \(manufacturer\)/);
  });

  it('summarises a minimal document: no serial number, no metadata component, no components', async () => {
    assert.deepEqual(await checkSbom(encode({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 })), {
      specVersion: '1.6',
      componentCount: 0,
      sha256: createHash('sha256')
        .update(encode({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 }))
        .digest('hex'),
    });
  });

  it('refuses bytes that are not JSON as SBOM_MALFORMED', async () => {
    for (const bytes of [
      Buffer.from('{"bomFormat": "CycloneDX",'),
      Buffer.from(''),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), firmware15]),
    ]) {
      assert.equal((await refusal(bytes)).code, 'SBOM_MALFORMED', bytes.subarray(0, 20).toString('hex'));
    }
  });

  it('refuses an SBOM past the size limit as SBOM_TOO_LARGE, before parsing it', async () => {
    assert.equal((await refusal(firmware15, { maxBytes: firmware15.byteLength - 1 })).code, 'SBOM_TOO_LARGE');
    assert.equal((await checkSbom(firmware15, { maxBytes: firmware15.byteLength })).specVersion, '1.5');
  });

  it('refuses other CycloneDX versions and documents that are not CycloneDX as SBOM_VERSION_UNSUPPORTED', async () => {
    const others = [
      edited(firmware15, (d) => (d.specVersion = '1.4')),
      edited(firmware16, (d) => (d.specVersion = '1.7')),
      edited(firmware16, (d) => (d.specVersion = 1.6)),
      edited(firmware16, (d) => (d.specVersion = 'toString')),
      edited(firmware16, (d) => (d.bomFormat = 'cyclonedx')),
      encode({
        spdxVersion: 'SPDX-2.3',
        dataLicense: 'CC0-1.0',
        SPDXID: 'SPDXRef-DOCUMENT',
        name: 'acme-gateway-firmware',
      }),
      encode([{ bomFormat: 'CycloneDX', specVersion: '1.6' }]),
      encode(42),
      encode(null),
    ];
    for (const bytes of others)
      assert.equal((await refusal(bytes)).code, 'SBOM_VERSION_UNSUPPORTED', Buffer.from(bytes).toString().slice(0, 80));
  });

  it('refuses schema-invalid documents as SBOM_INVALID, naming the first error by its JSON pointer', async () => {
    const cases: [string, (d: any) => void, RegExp][] = [
      [
        'a component without name',
        (d) => delete d.components[1].components[0].name,
        /\/components\/1\/components\/0: must have required property 'name'/,
      ],
      ['a purl that is not a string', (d) => (d.components[0].purl = 42), /\/components\/0\/purl: must be string/],
      [
        'an unknown component type',
        (d) => (d.components[0].type = 'firmwarez'),
        /\/components\/0\/type: must be equal to one of the allowed values/,
      ],
      [
        'an unknown property (strict)',
        (d) => (d.components[0].vendorNote = 'x'),
        /\/components\/0: must NOT have additional properties \(vendorNote\)/,
      ],
      ['a bad serial number', (d) => (d.serialNumber = 'not-a-urn'), /\/serialNumber: must match pattern/],
      [
        'a hash of the wrong length',
        (d) => (d.components[0].hashes[0].content = 'abc'),
        /\/components\/0\/hashes\/0\/content: must match pattern/,
      ],
    ];
    for (const [what, edit, message] of cases) {
      const refused = await refusal(edited(firmware16, edit));
      assert.equal(refused.code, 'SBOM_INVALID', what);
      assert.match(refused.message, message, what);
    }
  });

  it('refuses a document nested deeper than any SBOM before the schema validator recurses into it', async () => {
    // built as text: JSON.stringify itself recurses per level; each component level is two JSON levels
    const nestedSbom = (levels: number): Buffer => {
      const nested = `${'{"type":"library","name":"c","components":['.repeat(levels)}{"type":"library","name":"leaf"}${']}'.repeat(levels)}`;
      return Buffer.from(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${nested}]}`);
    };
    assert.equal((await checkSbom(nestedSbom(126))).componentCount, 127);
    const refused = await refusal(nestedSbom(5_000));
    assert.equal(refused.code, 'SBOM_INVALID');
    assert.match(refused.message, /nests deeper/);
  });

  it('keeps one schema validator per version (building one loads and compiles the schemas)', () => {
    assert.equal(schemaValidator('1.6'), schemaValidator('1.6'));
    assert.notEqual(schemaValidator('1.5'), schemaValidator('1.6'));
  });

  it('never throws anything but a TrustplaneError SBOM_* on hostile input (DESIGN.md rule 5)', async () => {
    const skeleton = JSON.parse(firmware16.toString('utf8'));
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      fc.jsonValue().map(encode),
      // CycloneDX-shaped, so the schema validator runs on arbitrary content
      fc
        .record({
          specVersion: fc.constantFrom('1.5', '1.6'),
          key: fc.constantFrom('metadata', 'components', 'dependencies', 'serialNumber', 'version', 'extra'),
          value: fc.jsonValue(),
        })
        .map(({ specVersion, key, value }) => encode({ ...skeleton, specVersion, [key]: value })),
      fc.record({ at: fc.nat(), cut: fc.nat({ max: 64 }) }).map(({ at, cut }) => {
        const i = at % firmware16.byteLength;
        return Buffer.concat([firmware16.subarray(0, i), firmware16.subarray(i + cut)]);
      }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (bytes) => {
        try {
          await checkSbom(bytes);
        } catch (e) {
          assert.ok(isTrustplaneError(e) && e.code.startsWith('SBOM_'), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
