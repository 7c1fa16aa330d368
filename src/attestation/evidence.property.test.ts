// DESIGN.md rule 5: the evidence envelope is the first parser a device's request meets.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../core/errors.ts';
import { encodeCoseSign1, protectedHeader } from '../updates/boot-manifest/cose-sign.ts';
import { decodeEvidence } from './evidence.ts';

describe('decodeEvidence on hostile JSON', () => {
  it('anything but a well-formed envelope is ATTESTATION_EVIDENCE_MALFORMED', () => {
    const envelope = fc.oneof(
      fc.jsonValue(),
      fc.record({
        kind: fc.constantFrom('tpm2-quote', 'eat-claims', 'other'),
        token: fc.oneof(fc.base64String(), fc.string(), fc.jsonValue()),
      }),
      fc.dictionary(
        fc.constantFrom('kind', 'token', 'akPublic', 'attest', 'signature', 'pcrs', 'extra'),
        fc.jsonValue(),
      ),
    );
    fc.assert(
      fc.property(envelope, (json) => {
        try {
          const e = decodeEvidence(json);
          assert.ok(e.kind === 'eat-claims' || e.kind === 'tpm2-quote');
        } catch (e) {
          assert.ok(e instanceof TrustplaneError && e.code === 'ATTESTATION_EVIDENCE_MALFORMED', String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a claims envelope, and refuses non-canonical base64, extra members and a token that is no COSE_Sign1', () => {
    const token = encodeCoseSign1(protectedHeader([[1, -7]]), Uint8Array.of(0xa0), new Uint8Array(64));
    const b64 = Buffer.from(token).toString('base64');
    assert.deepEqual(decodeEvidence({ kind: 'eat-claims', token: b64 }), { kind: 'eat-claims', token });
    for (const bad of [
      { kind: 'eat-claims', token: 'AAEC' },
      { kind: 'eat-claims', token: Buffer.from(token.subarray(0, token.length - 1)).toString('base64') },
      { kind: 'eat-claims', token: 'AAF=' },
      { kind: 'eat-claims', token: 'AAEC', nonce: 'x' },
      { kind: 'eat-claims' },
    ])
      assert.throws(
        () => decodeEvidence(bad),
        (e: unknown) => e instanceof TrustplaneError && e.code === 'ATTESTATION_EVIDENCE_MALFORMED',
      );
  });
});
