// Unit tests of the quote verifier with structures built in software, so each field can be set
// to a bad value and re-signed: the check under test is then the only one that can fail.
// The same refusals against quotes of a real TPM (swtpm + tpm2-tools) are in test/attestation-tpm.test.ts.
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrustplaneError } from '../../core/errors.ts';
import { TPM_ALG, TPMA_OBJECT } from './tpm-constants.ts';
import {
  AK_ATTRIBUTES,
  encodeEccPublic,
  encodeRsaPublic,
  encodeTpmsAttest,
  encodeTpmtSignature,
  quoteAttest,
  signAttest,
  softwareTpm,
  type SoftwareTpm,
} from './testing/tpm-structures.ts';
import type { TpmQuoteEvidence } from './tpm-quote-evidence.ts';
import type { TpmsAttest } from './tpms-attest.ts';
import { verifyTpmQuote } from './verify-tpm-quote.ts';

const nonce = new Uint8Array(createHash('sha256').update('challenge').digest());
const pcrs = new Map([
  [0, new Uint8Array(createHash('sha256').update('pcr0').digest())],
  [7, new Uint8Array(32)],
]);

function evidenceFor(tpm: SoftwareTpm, edit: (a: TpmsAttest) => TpmsAttest = (a) => a): TpmQuoteEvidence {
  const attest = encodeTpmsAttest(edit(quoteAttest(tpm, nonce, 'sha256', pcrs)));
  return {
    kind: 'tpm2-quote',
    akPublic: tpm.akPublic,
    attest,
    signature: signAttest(tpm, attest),
    pcrs: { alg: 'sha256', values: pcrs },
  };
}

function refusedWith(code: string, f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof TrustplaneError && e.code === code, `expected ${code}`);
}

describe('verifyTpmQuote', () => {
  const tpm = softwareTpm();
  const registered = { akPublic: tpm.akPublic, ekPublic: tpm.ekPublic };

  it('accepts a quote over the nonce by the registered AK and returns the quoted PCRs', () => {
    const result = verifyTpmQuote(evidenceFor(tpm), nonce, registered);
    assert.equal(result.kind, 'tpm2-quote');
    assert.deepEqual([...result.pcrs.values.keys()], [0, 7]);
    assert.equal(result.clockInfo.resetCount, 1);
  });

  // Each tampered field is re-signed by the AK: only the field's own check can refuse it.
  const tampered: [string, string, (a: TpmsAttest) => TpmsAttest][] = [
    ['magic', 'QUOTE_MAGIC_INVALID', (a) => ({ ...a, magic: 0xff544346 })],
    ['type (TPM_ST_ATTEST_CERTIFY)', 'QUOTE_TYPE_INVALID', (a) => ({ ...a, type: 0x8017, quote: undefined })],
    ['type (a quote body under another tag)', 'QUOTE_TYPE_INVALID', (a) => ({ ...a, type: 0x801a })],
    ['extraData', 'ATTESTATION_NONCE_MISMATCH', (a) => ({ ...a, extraData: nonce.subarray(1) })],
    ['qualifiedSigner', 'QUOTE_SIGNER_MISMATCH', (a) => ({ ...a, qualifiedSigner: new Uint8Array(34) })],
    [
      'pcrDigest',
      'QUOTE_PCR_DIGEST_MISMATCH',
      (a) => ({ ...a, quote: a.quote && { ...a.quote, pcrDigest: new Uint8Array(32) } }),
    ],
    [
      'PCR selection',
      'QUOTE_PCR_DIGEST_MISMATCH',
      (a) => ({ ...a, quote: a.quote && { ...a.quote, pcrSelect: [{ hashAlg: TPM_ALG.SHA256, indices: [0, 1] }] } }),
    ],
    [
      'PCR bank',
      'QUOTE_PCR_DIGEST_MISMATCH',
      (a) => ({ ...a, quote: a.quote && { ...a.quote, pcrSelect: [{ hashAlg: TPM_ALG.SHA384, indices: [0, 7] }] } }),
    ],
  ];
  for (const [field, code, edit] of tampered) {
    it(`refuses a TPMS_ATTEST whose ${field} is wrong, signed by the AK: ${code}`, () => {
      refusedWith(code, () => verifyTpmQuote(evidenceFor(tpm, edit), nonce, registered));
    });
  }

  it('refuses a nonce other than the challenge', () => {
    refusedWith('ATTESTATION_NONCE_MISMATCH', () => verifyTpmQuote(evidenceFor(tpm), new Uint8Array(32), registered));
  });

  it('refuses reported PCR values that do not hash to the quoted digest', () => {
    const e = evidenceFor(tpm);
    const lying = new Map(pcrs).set(7, new Uint8Array(32).fill(1));
    refusedWith('QUOTE_PCR_DIGEST_MISMATCH', () =>
      verifyTpmQuote({ ...e, pcrs: { alg: 'sha256', values: lying } }, nonce, registered),
    );
  });

  it('refuses a flipped signature bit and a quote signed by another key', () => {
    const e = evidenceFor(tpm);
    const sig = new Uint8Array(e.signature);
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
    refusedWith('ATTESTATION_SIGNATURE_INVALID', () => verifyTpmQuote({ ...e, signature: sig }, nonce, registered));
    const other = softwareTpm();
    // Another TPM's AK, claiming to be the registered one in every field it can set.
    const forged = evidenceFor({ ...other, akPublic: tpm.akPublic, akQualifiedName: tpm.akQualifiedName });
    refusedWith('ATTESTATION_SIGNATURE_INVALID', () => verifyTpmQuote(forged, nonce, registered));
  });

  it("refuses a quote by another TPM's AK against this device's registration", () => {
    const other = softwareTpm();
    refusedWith('ATTESTATION_KEY_UNKNOWN', () => verifyTpmQuote(evidenceFor(other), nonce, registered));
    // The same AK registered under another EK: qualifiedSigner names the real parent.
    refusedWith('QUOTE_SIGNER_MISMATCH', () =>
      verifyTpmQuote(evidenceFor(tpm), nonce, { akPublic: tpm.akPublic, ekPublic: other.ekPublic }),
    );
  });

  for (const attribute of ['fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'restricted', 'sign'] as const) {
    it(`refuses an AK without ${attribute}`, () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const akPublic = encodeEccPublic(key.publicKey, AK_ATTRIBUTES & ~TPMA_OBJECT[attribute]);
      const weak = { ...tpm, akPublic, akPrivate: key.privateKey };
      refusedWith('ATTESTATION_KEY_INVALID', () =>
        verifyTpmQuote(evidenceFor(weak), nonce, { ...registered, akPublic }),
      );
    });
  }

  it('refuses a signature in a scheme other than the AK fixes', () => {
    const e = evidenceFor(tpm);
    const p1363 = sign('sha384', e.attest, { key: tpm.akPrivate, dsaEncoding: 'ieee-p1363' });
    const signature = encodeTpmtSignature({
      scheme: 'ecdsa',
      hash: 'sha384',
      r: p1363.subarray(0, 32),
      s: p1363.subarray(32),
    });
    refusedWith('ATTESTATION_SIGNATURE_INVALID', () => verifyTpmQuote({ ...e, signature }, nonce, registered));
  });

  for (const scheme of ['rsassa', 'rsapss'] as const) {
    it(`verifies an RSA-2048 AK's ${scheme} quote`, () => {
      const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const akPublic = encodeRsaPublic(key.publicKey, scheme);
      // The qualified name computed here by hand (Part 1 §26.5), independently of tpm-name.ts.
      const name = (p: Uint8Array): Uint8Array =>
        Uint8Array.of(0, 0x0b, ...createHash('sha256').update(p.subarray(2)).digest());
      const ekQn = Uint8Array.of(
        0,
        0x0b,
        ...createHash('sha256')
          .update(Uint8Array.of(0x40, 0, 0, 0x0b))
          .update(name(tpm.ekPublic))
          .digest(),
      );
      const akQualifiedName = Uint8Array.of(
        0,
        0x0b,
        ...createHash('sha256').update(ekQn).update(name(akPublic)).digest(),
      );
      const rsaTpm = { ...tpm, akPublic, akPrivate: key.privateKey, akQualifiedName };
      const attest = encodeTpmsAttest(quoteAttest(rsaTpm, nonce, 'sha256', pcrs));
      const sig = sign(
        'sha256',
        attest,
        scheme === 'rsassa'
          ? key.privateKey
          : { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      );
      const e: TpmQuoteEvidence = {
        kind: 'tpm2-quote',
        akPublic,
        attest,
        signature: encodeTpmtSignature({ scheme, hash: 'sha256', sig }),
        pcrs: { alg: 'sha256', values: pcrs },
      };
      const ok = verifyTpmQuote(e, nonce, { akPublic, ekPublic: tpm.ekPublic });
      assert.equal(ok.kind, 'tpm2-quote');
      const flipped = new Uint8Array(sig);
      flipped[10] = (flipped[10] ?? 0) ^ 0x80;
      refusedWith('ATTESTATION_SIGNATURE_INVALID', () =>
        verifyTpmQuote({ ...e, signature: encodeTpmtSignature({ scheme, hash: 'sha256', sig: flipped }) }, nonce, {
          akPublic,
          ekPublic: tpm.ekPublic,
        }),
      );
    });
  }

  it('refuses trailing bytes after the quote and an unknown signature algorithm', () => {
    const e = evidenceFor(tpm);
    refusedWith('ATTESTATION_EVIDENCE_MALFORMED', () =>
      verifyTpmQuote({ ...e, attest: Uint8Array.of(...e.attest, 0) }, nonce, registered),
    );
    const sm2 = Uint8Array.of(0x00, 0x1b, ...e.signature.subarray(2));
    refusedWith('ATTESTATION_ALGORITHM_UNSUPPORTED', () => verifyTpmQuote({ ...e, signature: sm2 }, nonce, registered));
  });
});
