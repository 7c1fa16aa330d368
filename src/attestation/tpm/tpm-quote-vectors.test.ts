// A quote made by a real TPM (swtpm, via tpm2-tools), checked in by scripts/tpm-quote-vectors.ts:
// the parser and verifier on a TPM's own bytes, without a TPM at test time.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { decodeBase64Strict } from '../../ledger/strict-base64.ts';
import { referencePcrValue } from './pcr-digest.ts';
import { TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE } from './tpm-constants.ts';
import { decodeTpmQuoteEvidence } from './tpm-quote-evidence.ts';
import { parseTpmsAttest } from './tpms-attest.ts';
import { parseTpm2bPublic } from './tpmt-public.ts';
import { parseTpmtSignature } from './tpmt-signature.ts';
import { verifyTpmQuote } from './verify-tpm-quote.ts';

const vector = JSON.parse(
  readFileSync(new URL('../../../test/vectors/tpm/quote-ecc-p256.json', import.meta.url), 'utf8'),
) as {
  nonce: string;
  ekPublic: string;
  evidence: unknown;
};
const b64 = (s: string): Uint8Array => decodeBase64Strict(s) ?? assert.fail('bad base64 in the vector');
const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

describe('a quote from swtpm (test/vectors/tpm/quote-ecc-p256.json)', () => {
  const evidence = decodeTpmQuoteEvidence(vector.evidence);
  const nonce = b64(vector.nonce);
  const registered = { akPublic: evidence.akPublic, ekPublic: b64(vector.ekPublic) };

  it('parses field by field as TPM 2.0 Part 2 lays them out', () => {
    const attest = parseTpmsAttest(evidence.attest);
    assert.equal(attest.magic, TPM_GENERATED_VALUE);
    assert.equal(attest.type, TPM_ST_ATTEST_QUOTE);
    assert.deepEqual(attest.extraData, nonce);
    assert.equal(attest.qualifiedSigner.length, 34);
    assert.deepEqual(attest.quote?.pcrSelect, [{ hashAlg: 0x000b, indices: [0, 7] }]);
    const sig = parseTpmtSignature(evidence.signature);
    assert.deepEqual([sig.scheme, sig.hash], ['ecdsa', 'sha256']);
    const ak = parseTpm2bPublic(evidence.akPublic);
    assert.deepEqual(
      [ak.type, ak.scheme, ak.objectAttributes],
      ['ecc', { scheme: 'ecdsa', hash: 'sha256' }, 0x00050072],
    );
  });

  it('verifies, and its PCRs are the reference values of the measurements the script extended', () => {
    const result = verifyTpmQuote(evidence, nonce, registered);
    assert.deepEqual(
      result.pcrs.values.get(0),
      referencePcrValue('sha256', [sha256('bootloader 2.1.0'), sha256('firmware image 1.4.0')]),
    );
    assert.deepEqual(result.pcrs.values.get(7), referencePcrValue('sha256', [sha256('configuration 1.4.0')]));
  });

  it('every single-bit flip of the TPM-signed bytes is refused', () => {
    for (let bit = 0; bit < evidence.attest.length * 8; bit++) {
      const attest = new Uint8Array(evidence.attest);
      attest[bit >> 3] = (attest[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      assert.throws(
        () => verifyTpmQuote({ ...evidence, attest }, nonce, registered),
        (e: unknown) => e instanceof TrustplaneError,
        `bit ${bit}`,
      );
    }
  });
});
