import { Tag } from 'cbor2';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TrustplaneError, type ErrorCode } from '../../core/errors.ts';
import { encodeCoseSign } from './cose-sign.ts';
import { encodeDeterministic } from './deterministic-cbor.ts';
import { manifestKeyId, MAX_BOOT_MANIFEST_BYTES, signatureSlots } from './manifest-algorithms.ts';
import { encodeManifestPayload } from './manifest-payload.ts';
import { signBootManifest } from './sign-boot-manifest.ts';
import { flipBit, forgeManifest, forgeParts, signatureEntry, standardBodyProtected } from './testing/forge.ts';
import { generatedManifestKeys, type ManifestKeys } from './testing/manifest-keys.ts';
import { sampleManifest } from './testing/sample-manifest.ts';
import { verifyBootManifest } from './verify-boot-manifest.ts';

const [ED25519, ML_DSA_65] = signatureSlots;
const manifest = sampleManifest();

function refusal(code: ErrorCode, algorithm?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof TrustplaneError, `not a TrustplaneError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (algorithm !== undefined) assert.equal(e.details?.algorithm, algorithm);
    return true;
  };
}

describe('verifyBootManifest', () => {
  let keys: ManifestKeys;
  let other: ManifestKeys;
  let signed: Uint8Array;
  before(async () => {
    keys = generatedManifestKeys();
    other = generatedManifestKeys();
    signed = await signBootManifest(manifest, keys.signers);
  });

  it('returns the manifest that was signed', () => {
    assert.deepEqual(verifyBootManifest(signed, keys.trust), manifest);
  });

  it('refuses a broken ML-DSA-65 signature although the Ed25519 one holds, and the reverse', async () => {
    const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest });
    const [ed, ml] = entries as [(typeof entries)[0], (typeof entries)[0]];
    const brokenMl = encodeCoseSign(bodyProtected, payload, [ed, { ...ml, signature: flipBit(ml.signature, 100) }]);
    assert.throws(() => verifyBootManifest(brokenMl, keys.trust), refusal('MANIFEST_SIGNATURE_INVALID', 'ml-dsa-65'));
    const brokenEd = encodeCoseSign(bodyProtected, payload, [{ ...ed, signature: flipBit(ed.signature, 0) }, ml]);
    assert.throws(() => verifyBootManifest(brokenEd, keys.trust), refusal('MANIFEST_SIGNATURE_INVALID', 'ed25519'));
  });

  it('refuses a manifest with one signature missing', async () => {
    const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest });
    for (const kept of entries) {
      assert.throws(
        () => verifyBootManifest(encodeCoseSign(bodyProtected, payload, [kept]), keys.trust),
        refusal('MANIFEST_SIGNATURE_INVALID'),
      );
    }
  });

  it('refuses an extra third signature, even a valid one', async () => {
    const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest });
    const third = await signatureEntry(keys.signers.mlDsa65, ML_DSA_65.coseAlg, bodyProtected, payload);
    assert.throws(
      () => verifyBootManifest(encodeCoseSign(bodyProtected, payload, [...entries, third]), keys.trust),
      refusal('MANIFEST_SIGNATURE_INVALID'),
    );
  });

  it('refuses signatures swapped between the slots', async () => {
    const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest });
    const [ed, ml] = entries as [(typeof entries)[0], (typeof entries)[0]];
    const entriesSwapped = encodeCoseSign(bodyProtected, payload, [ml, ed]);
    assert.throws(
      () => verifyBootManifest(entriesSwapped, keys.trust),
      refusal('MANIFEST_SIGNATURE_INVALID', 'ed25519'),
    );
    const bytesSwapped = encodeCoseSign(bodyProtected, payload, [
      { ...ed, signature: ml.signature },
      { ...ml, signature: ed.signature },
    ]);
    assert.throws(() => verifyBootManifest(bytesSwapped, keys.trust), refusal('MANIFEST_SIGNATURE_INVALID', 'ed25519'));
  });

  it('refuses a signature by another key, whether it names its own kid or the expected one', async () => {
    const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest });
    const [ed] = entries as [(typeof entries)[0]];
    const ownKid = await signatureEntry(other.signers.mlDsa65, ML_DSA_65.coseAlg, bodyProtected, payload);
    assert.throws(
      () => verifyBootManifest(encodeCoseSign(bodyProtected, payload, [ed, ownKid]), keys.trust),
      refusal('MANIFEST_SIGNATURE_INVALID', 'ml-dsa-65'),
    );
    const expectedKid = await signatureEntry(
      other.signers.mlDsa65,
      ML_DSA_65.coseAlg,
      bodyProtected,
      payload,
      manifestKeyId(keys.trust.mlDsa65Spki),
    );
    assert.throws(
      () => verifyBootManifest(encodeCoseSign(bodyProtected, payload, [ed, expectedKid]), keys.trust),
      (e) => refusal('MANIFEST_SIGNATURE_INVALID', 'ml-dsa-65')(e) && /does not verify/.test((e as Error).message),
    );
    assert.throws(() => verifyBootManifest(signed, other.trust), refusal('MANIFEST_SIGNATURE_INVALID', 'ed25519'));
  });

  it('refuses a payload changed after signing', async () => {
    const { bodyProtected, entries } = await forgeParts(keys, { manifest });
    const lowered = encodeManifestPayload({ ...manifest, securityVersion: manifest.securityVersion - 1 });
    assert.throws(
      () => verifyBootManifest(encodeCoseSign(bodyProtected, lowered, entries), keys.trust),
      refusal('MANIFEST_SIGNATURE_INVALID', 'ed25519'),
    );
  });

  it('refuses another content type, validly signed', async () => {
    const bytes = await forgeManifest(keys, { manifest, bodyProtected: standardBodyProtected('application/cbor') });
    assert.throws(() => verifyBootManifest(bytes, keys.trust), refusal('MANIFEST_MALFORMED'));
  });

  it('refuses a validly signed payload that is not deterministic CBOR', async () => {
    const canonical = encodeManifestPayload(manifest);
    assert.equal(canonical[0], 0xa9); // map(9)
    assert.equal(canonical[1], 0x01); // key 1
    const variants = {
      'a key in a longer encoding than needed': Uint8Array.of(0xa9, 0x18, 0x01, ...canonical.subarray(2)),
      'the map length in a longer encoding': Uint8Array.of(0xb8, 0x09, ...canonical.subarray(1)),
      'an indefinite-length map': Uint8Array.of(0xbf, ...canonical.subarray(1), 0xff),
      // product (key 2, "TP-GW-100") spans bytes 3..13
      'keys out of order': Uint8Array.of(0xa9, ...canonical.subarray(3, 14), 0x01, 0x01, ...canonical.subarray(14)),
      'a duplicate key': Uint8Array.of(0xa9, 0x01, 0x01, 0x01, 0x01, ...canonical.subarray(14)),
      'an unknown tenth key': Uint8Array.of(0xaa, ...canonical.subarray(1), 0x0a, 0x00),
    };
    for (const [what, payload] of Object.entries(variants)) {
      const bytes = await forgeManifest(keys, { payload });
      assert.throws(() => verifyBootManifest(bytes, keys.trust), refusal('MANIFEST_MALFORMED'), what);
    }
  });

  it('refuses an envelope that is not deterministic CBOR, or not a tagged COSE_Sign', () => {
    assert.equal(signed[0], 0xd8); // tag(98) in one extra byte
    assert.equal(signed[2], 0x84); // array(4)
    const longArray = Uint8Array.of(0xd8, 0x62, 0x98, 0x04, ...signed.subarray(3));
    assert.throws(() => verifyBootManifest(longArray, keys.trust), refusal('MANIFEST_MALFORMED'));
    assert.throws(() => verifyBootManifest(signed.subarray(2), keys.trust), refusal('MANIFEST_MALFORMED'));
    const sign1 = Uint8Array.of(0xd2, ...signed.subarray(2)); // tag 18, COSE_Sign1
    assert.throws(() => verifyBootManifest(sign1, keys.trust), refusal('MANIFEST_MALFORMED'));
    assert.throws(() => verifyBootManifest(Uint8Array.of(...signed, 0x00), keys.trust), refusal('MANIFEST_MALFORMED'));
  });

  it('refuses headers it does not expect', async () => {
    const { bodyProtected, payload, entries } = await forgeParts(keys, { manifest });
    const envelope = (bodyUnprotected: Map<number, unknown>, signatureUnprotected: Map<number, unknown>) =>
      encodeDeterministic(
        new Tag(98, [
          bodyProtected,
          bodyUnprotected,
          payload,
          entries.map((e) => [e.protected, signatureUnprotected, e.signature]),
        ]),
      );
    assert.doesNotThrow(() => verifyBootManifest(envelope(new Map(), new Map()), keys.trust));
    assert.throws(
      () => verifyBootManifest(envelope(new Map([[4, new Uint8Array(1)]]), new Map()), keys.trust),
      refusal('MANIFEST_MALFORMED'),
    );
    assert.throws(
      () => verifyBootManifest(envelope(new Map(), new Map([[4, new Uint8Array(1)]])), keys.trust),
      refusal('MANIFEST_MALFORMED'),
    );
    const extraBodyHeader = await forgeManifest(keys, {
      manifest,
      bodyProtected: encodeDeterministic(
        new Map<number, unknown>([
          [1, -19],
          [3, 'application/vnd.trustplane.boot-manifest+cbor'],
        ]),
      ),
    });
    assert.throws(() => verifyBootManifest(extraBodyHeader, keys.trust), refusal('MANIFEST_MALFORMED'));
  });

  it('refuses more than 64 KiB before parsing', () => {
    const huge = new Uint8Array(MAX_BOOT_MANIFEST_BYTES + 1);
    assert.throws(
      () => verifyBootManifest(huge, keys.trust),
      (e) => refusal('MANIFEST_MALFORMED')(e) && /at most/.test((e as Error).message),
    );
  });

  it('fails closed on trust anchors of the wrong algorithms', () => {
    const swapped = { ed25519Spki: keys.trust.mlDsa65Spki, mlDsa65Spki: keys.trust.ed25519Spki };
    assert.throws(() => verifyBootManifest(signed, swapped), refusal('MANIFEST_KEY_INVALID'));
    assert.throws(
      () => verifyBootManifest(signed, { ...keys.trust, ed25519Spki: new Uint8Array(3) }),
      refusal('MANIFEST_KEY_INVALID'),
    );
  });

  it('checks the slots in order: Ed25519 first, then ML-DSA-65', () => {
    assert.deepEqual(
      signatureSlots.map((s) => [s.algorithm, s.coseAlg]),
      [
        [ED25519.algorithm, -19],
        ['ml-dsa-65', -49],
      ],
    );
  });
});
