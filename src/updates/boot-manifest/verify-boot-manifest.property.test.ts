// DESIGN.md rule 5: the verifier parses attacker-controlled bytes; thousands of hostile inputs
// may only ever end in the two refusals a bootloader reports.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { encodeDeterministic } from './deterministic-cbor.ts';
import { signBootManifest } from './sign-boot-manifest.ts';
import { generatedManifestKeys, type ManifestKeys } from './testing/manifest-keys.ts';
import { sampleManifest } from './testing/sample-manifest.ts';
import { verifyBootManifest } from './verify-boot-manifest.ts';

const allowed = new Set(['MANIFEST_MALFORMED', 'MANIFEST_SIGNATURE_INVALID']);

function refusesCleanly(bytes: Uint8Array, keys: ManifestKeys): void {
  try {
    verifyBootManifest(bytes, keys.trust);
  } catch (e) {
    assert.ok(e instanceof TrustplaneError, `threw ${String(e)}`);
    assert.ok(allowed.has(e.code), `threw ${e.code}: ${e.message}`);
    return;
  }
  assert.fail('hostile input was accepted');
}

type Mutation =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

/** One edit of a valid message: a changed byte, a cut, an insertion or a deleted run. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(bytes: Uint8Array, edits: Mutation[]): Uint8Array {
  let out = bytes;
  for (const edit of edits) {
    const at = edit.at % (out.length + 1);
    if (edit.kind === 'set') {
      if (out[at] === edit.byte || at === out.length) continue;
      out = new Uint8Array(out);
      out[at] = edit.byte;
    } else if (edit.kind === 'truncate') out = out.subarray(0, at);
    else if (edit.kind === 'insert') out = Uint8Array.of(...out.subarray(0, at), ...edit.bytes, ...out.subarray(at));
    else out = Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + edit.length));
  }
  return out;
}

describe('verifyBootManifest on hostile input', () => {
  let keys: ManifestKeys;
  let signed: Uint8Array;
  before(async () => {
    keys = generatedManifestKeys();
    signed = await signBootManifest(sampleManifest(), keys.signers);
  });

  it('refuses arbitrary bytes with MANIFEST_MALFORMED or MANIFEST_SIGNATURE_INVALID', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => refusesCleanly(bytes, keys)),
      { numRuns: 3000 },
    );
  });

  it('refuses arbitrary CBOR, tagged 98 or not, the same way', () => {
    const cbor = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.integer(),
        fc.string(),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 5 }),
        fc
          .array(fc.tuple(fc.integer({ min: -4, max: 10 }), tie('value')), { maxLength: 5 })
          .map((entries) => new Map(entries)),
      ),
    })).value;
    fc.assert(
      fc.property(cbor, fc.boolean(), (value, tagged) => {
        const bytes = encodeDeterministic(value);
        refusesCleanly(tagged ? Uint8Array.of(0xd8, 0x62, ...bytes) : bytes, keys);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every mutation of a valid signed manifest the same way', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = mutate(signed, edits);
        fc.pre(Buffer.compare(bytes, signed) !== 0);
        refusesCleanly(bytes, keys);
      }),
      { numRuns: 1500 },
    );
  });
});
