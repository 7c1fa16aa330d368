// DESIGN.md rule 5: evidence bytes come from the network. Thousands of hostile inputs may only
// end in a TrustplaneError of the attestation codes: never another exception, never an acceptance.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { publicAreaName } from './attestation-key.ts';
import { parseEndorsementKey } from './endorsement-key.ts';
import { makeCredential } from './make-credential.ts';
import { TPM_ALG } from './tpm-constants.ts';
import { systemRandom } from '../../core/random.ts';
import {
  encodeTpmsAttest,
  encodeTpmtSignature,
  quoteAttest,
  signAttest,
  softwareTpm,
} from './testing/tpm-structures.ts';
import { decodeTpmQuoteEvidence, encodeTpmQuoteEvidence, type TpmQuoteEvidence } from './tpm-quote-evidence.ts';
import { parseTpmsAttest, type TpmsAttest } from './tpms-attest.ts';
import { parseTpm2bPublic } from './tpmt-public.ts';
import { parseTpmtSignature, type TpmtSignature } from './tpmt-signature.ts';
import { verifyTpmQuote } from './verify-tpm-quote.ts';

const evidenceCodes = new Set([
  'ATTESTATION_EVIDENCE_MALFORMED',
  'ATTESTATION_ALGORITHM_UNSUPPORTED',
  'ATTESTATION_KEY_INVALID',
  'ATTESTATION_KEY_UNKNOWN',
  'QUOTE_MAGIC_INVALID',
  'QUOTE_TYPE_INVALID',
  'QUOTE_SIGNER_MISMATCH',
  'QUOTE_PCR_DIGEST_MISMATCH',
  'ATTESTATION_NONCE_MISMATCH',
  'ATTESTATION_SIGNATURE_INVALID',
]);

function throwsOnlyEvidenceErrors(f: () => unknown): boolean {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TrustplaneError, `threw ${String(e)}`);
    assert.ok(evidenceCodes.has(e.code), `threw ${e.code}: ${e.message}`);
    return false;
  }
  return true;
}

const bytes = fc.uint8Array({ maxLength: 700 });
const digest = fc.uint8Array({ minLength: 0, maxLength: 64 });
/** Plain objects, as the parsers build them (fast-check's records default to a null prototype). */
const plain = { noNullPrototype: true } as const;

const attestArb: fc.Arbitrary<TpmsAttest> = fc.record(
  {
    magic: fc.nat({ max: 0xffffffff }),
    type: fc.constant(0x8018),
    qualifiedSigner: fc.uint8Array({ maxLength: 66 }),
    extraData: digest,
    clockInfo: fc.record(
      {
        clock: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        resetCount: fc.nat({ max: 0xffffffff }),
        restartCount: fc.nat({ max: 0xffffffff }),
        safe: fc.boolean(),
      },
      plain,
    ),
    firmwareVersion: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    quote: fc.record(
      {
        pcrSelect: fc.array(
          fc.record(
            {
              hashAlg: fc.constantFrom(TPM_ALG.SHA1, TPM_ALG.SHA256, TPM_ALG.SHA384, TPM_ALG.SHA512),
              indices: fc
                .uniqueArray(fc.integer({ min: 0, max: 31 }), { maxLength: 32 })
                .map((a) => a.sort((x, y) => x - y)),
            },
            plain,
          ),
          { maxLength: 4 },
        ),
        pcrDigest: digest,
      },
      plain,
    ),
  },
  plain,
);

const signatureArb: fc.Arbitrary<TpmtSignature> = fc.oneof(
  fc.record(
    {
      scheme: fc.constant('ecdsa' as const),
      hash: fc.constantFrom('sha256' as const, 'sha384' as const, 'sha512' as const),
      r: fc.uint8Array({ maxLength: 66 }),
      s: fc.uint8Array({ maxLength: 66 }),
    },
    plain,
  ),
  fc.record(
    {
      scheme: fc.constantFrom('rsassa' as const, 'rsapss' as const),
      hash: fc.constantFrom('sha256' as const, 'sha384' as const, 'sha512' as const),
      sig: fc.uint8Array({ maxLength: 512 }),
    },
    plain,
  ),
);

describe('TPM structure parsers on hostile bytes', () => {
  it('arbitrary bytes: TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC (AK and EK) throw only evidence errors', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        throwsOnlyEvidenceErrors(() => parseTpmsAttest(b));
        throwsOnlyEvidenceErrors(() => parseTpmtSignature(b));
        throwsOnlyEvidenceErrors(() => parseTpm2bPublic(b));
        throwsOnlyEvidenceErrors(() => parseEndorsementKey(b));
        throwsOnlyEvidenceErrors(() => publicAreaName(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('an EK public area of a valid shape with hostile fields: only evidence errors, or a credential made', () => {
    // TPM2B_PUBLIC: size, then type ECC or RSA, nameAlg SHA-256, EK attributes, and arbitrary rest.
    fc.assert(
      fc.property(fc.constantFrom(0x0023, 0x0001), bytes, (type, rest) => {
        const area = Uint8Array.of(type >> 8, type & 0xff, 0x00, 0x0b, 0x00, 0x03, 0x00, 0xb2, ...rest);
        const ek = Uint8Array.of(area.length >> 8, area.length & 0xff, ...area);
        throwsOnlyEvidenceErrors(() => makeCredential(ek, new Uint8Array(34), new Uint8Array(32), systemRandom));
      }),
      { numRuns: 2000 },
    );
  });

  it('bytes behind a plausible header (magic, quote type) reach the deeper fields', () => {
    const header = Uint8Array.of(0xff, 0x54, 0x43, 0x47, 0x80, 0x18);
    fc.assert(
      fc.property(bytes, (b) => void throwsOnlyEvidenceErrors(() => parseTpmsAttest(Uint8Array.of(...header, ...b)))),
      {
        numRuns: 2000,
      },
    );
  });

  it('TPMS_ATTEST round-trips: what is encoded parses back the same, and any cut of it is malformed', () => {
    fc.assert(
      fc.property(attestArb, fc.nat(), (a, cut) => {
        const encoded = encodeTpmsAttest(a);
        assert.deepEqual(parseTpmsAttest(encoded), a);
        const at = cut % encoded.length;
        assert.throws(
          () => parseTpmsAttest(encoded.subarray(0, at)),
          (e: unknown) => e instanceof TrustplaneError && e.code === 'ATTESTATION_EVIDENCE_MALFORMED',
        );
      }),
      { numRuns: 500 },
    );
  });

  it('TPMT_SIGNATURE round-trips', () => {
    fc.assert(
      fc.property(signatureArb, (s) => {
        assert.deepEqual(parseTpmtSignature(encodeTpmtSignature(s)), s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('verifyTpmQuote on hostile evidence', () => {
  const tpm = softwareTpm();
  const registered = { akPublic: tpm.akPublic, ekPublic: tpm.ekPublic };
  const nonce = new Uint8Array(32).fill(7);
  const pcrs = new Map([
    [0, new Uint8Array(32).fill(1)],
    [7, new Uint8Array(32)],
  ]);
  const attest = encodeTpmsAttest(quoteAttest(tpm, nonce, 'sha256', pcrs));
  const good: TpmQuoteEvidence = {
    kind: 'tpm2-quote',
    akPublic: tpm.akPublic,
    attest,
    signature: signAttest(tpm, attest),
    pcrs: { alg: 'sha256', values: pcrs },
  };

  it('the good quote verifies (the baseline every mutation departs from)', () => {
    assert.equal(verifyTpmQuote(good, nonce, registered).kind, 'tpm2-quote');
  });

  it('any changed byte of the signed TPMS_ATTEST or of the signature is refused', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (inAttest, at, xor) => {
        const target = inAttest ? good.attest : good.signature;
        const changed = new Uint8Array(target);
        const i = at % changed.length;
        changed[i] = (changed[i] ?? 0) ^ xor;
        const e = inAttest ? { ...good, attest: changed } : { ...good, signature: changed };
        assert.equal(
          throwsOnlyEvidenceErrors(() => verifyTpmQuote(e, nonce, registered)),
          false,
          'a tampered quote was accepted',
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary attest and signature bytes under the registered AK are refused cleanly', () => {
    fc.assert(
      fc.property(bytes, bytes, (a, s) => {
        assert.equal(
          throwsOnlyEvidenceErrors(() => verifyTpmQuote({ ...good, attest: a, signature: s }, nonce, registered)),
          false,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('the JSON wire form: arbitrary values are refused cleanly, and the good evidence round-trips', () => {
    assert.deepEqual(decodeTpmQuoteEvidence(encodeTpmQuoteEvidence(good)), {
      ...good,
      akPublic: new Uint8Array(good.akPublic),
    });
    const wire = encodeTpmQuoteEvidence(good);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            kind: fc.constant('tpm2-quote'),
            akPublic: fc.string(),
            attest: fc.base64String(),
            signature: fc.base64String(),
            pcrs: fc.jsonValue(),
          }),
          fc
            .dictionary(fc.constantFrom('0', '7', '32', '01', '-1', 'x'), fc.oneof(fc.string(), fc.jsonValue()))
            .map((values) => ({ ...wire, pcrs: { alg: 'sha256', values } })),
        ),
        (json) => void throwsOnlyEvidenceErrors(() => verifyTpmQuote(decodeTpmQuoteEvidence(json), nonce, registered)),
      ),
      { numRuns: 2000 },
    );
  });
});
