import { constants, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import { checkAttestationKey, publicAreaName } from './attestation-key.ts';
import { pcrDigest } from './pcr-digest.ts';
import { TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, tpmHashId } from './tpm-constants.ts';
import { endorsementQualifiedName, qualifiedName } from './tpm-name.ts';
import type { ReportedPcrs, TpmQuoteEvidence } from './tpm-quote-evidence.ts';
import { parseTpmsAttest, type TpmClockInfo, type TpmsAttest } from './tpms-attest.ts';
import { parseTpm2bPublic, type TpmPublicKey } from './tpmt-public.ts';
import { parseTpmtSignature, type TpmtSignature } from './tpmt-signature.ts';

/** The trust material the verifier holds for a device: its registered AK and the EK it was made under. */
export interface RegisteredAttestationKey {
  /** TPM2B_PUBLIC of the AK, as registered. */
  readonly akPublic: Uint8Array;
  /** TPM2B_PUBLIC of the EK that is the AK's parent: its name is part of the quote's qualifiedSigner. */
  readonly ekPublic: Uint8Array;
}

/** What a verified quote establishes: these PCR values were in this TPM when it answered this nonce. */
export interface VerifiedTpmQuote {
  readonly kind: 'tpm2-quote';
  readonly pcrs: ReportedPcrs;
  readonly clockInfo: TpmClockInfo;
  readonly firmwareVersion: bigint;
  readonly akName: Uint8Array;
}

interface QuoteContext {
  readonly evidence: TpmQuoteEvidence;
  readonly nonce: Uint8Array;
  readonly registered: RegisteredAttestationKey;
  ak?: TpmPublicKey;
  attest?: TpmsAttest;
  signature?: TpmtSignature;
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new TrustplaneError('INTERNAL', 'a quote check ran before the step it depends on');
  return v;
}

/** The evidence names the registered AK: a device cannot swap in a key of its choosing. */
function keyIsRegistered(c: QuoteContext): void {
  if (!equalBytes(c.evidence.akPublic, c.registered.akPublic))
    throw new TrustplaneError(
      'ATTESTATION_KEY_UNKNOWN',
      "the quote's attestation key is not the device's registered one",
    );
  c.ak = registeredAk(c.registered.akPublic);
}

/**
 * The registered AK, parsed and checked once: the bytes are the verifier's own (stored at
 * activation), and turning them into a key object cost as much as the signature check itself
 * (docs/benchmarks.md, remote attestation). Kept for the most recent AKs, like a certificate's device serial.
 */
function registeredAk(bytes: Uint8Array): TpmPublicKey {
  const id = Buffer.from(bytes).toString('base64');
  const known = registeredAks.get(id);
  if (known) return known;
  const ak = parseTpm2bPublic(bytes);
  checkAttestationKey(ak);
  if (registeredAks.size >= REGISTERED_AKS_KEPT) registeredAks.delete(registeredAks.keys().next().value!);
  registeredAks.set(id, ak);
  return ak;
}

const REGISTERED_AKS_KEPT = 100_000;
const registeredAks = new Map<string, TpmPublicKey>();

function parseQuote(c: QuoteContext): void {
  c.attest = parseTpmsAttest(c.evidence.attest);
  c.signature = parseTpmtSignature(c.evidence.signature);
}

/** Part 2 §10.12.12: magic is TPM_GENERATED_VALUE (the check CVE-2024-29038 found missing in tpm2_checkquote). */
function magicIsTpmGenerated(c: QuoteContext): void {
  const magic = need(c.attest).magic;
  if (magic !== TPM_GENERATED_VALUE)
    throw new TrustplaneError('QUOTE_MAGIC_INVALID', `magic is 0x${magic.toString(16)}, not TPM_GENERATED_VALUE`);
}

function typeIsQuote(c: QuoteContext): void {
  const type = need(c.attest).type;
  if (type !== TPM_ST_ATTEST_QUOTE)
    throw new TrustplaneError('QUOTE_TYPE_INVALID', `type is 0x${type.toString(16)}, not TPM_ST_ATTEST_QUOTE`);
}

/** Part 3 §18.4: extraData is the caller's qualifyingData, here the verifier's nonce (freshness). */
function extraDataIsNonce(c: QuoteContext): void {
  if (!equalBytes(need(c.attest).extraData, c.nonce))
    throw new TrustplaneError('ATTESTATION_NONCE_MISMATCH', "the quote's extraData is not the challenge nonce");
}

/** qualifiedSigner is QN(AK) = H(QN(EK) || Name(AK)): the registered AK, under the registered EK. */
function signerIsRegisteredKey(c: QuoteContext): void {
  const expected = qualifiedName(endorsementQualifiedName(publicAreaName(c.registered.ekPublic)), need(c.ak).name);
  if (!equalBytes(need(c.attest).qualifiedSigner, expected))
    throw new TrustplaneError(
      'QUOTE_SIGNER_MISMATCH',
      "the quote's qualifiedSigner is not the registered AK under the registered EK",
    );
}

/** The signature uses the scheme the AK fixes (the TPM enforces it; a mismatch was not made by this key). */
function schemeIsTheKeys(c: QuoteContext): void {
  const sig = need(c.signature);
  const scheme = need(need(c.ak).scheme);
  if (sig.scheme !== scheme.scheme || sig.hash !== scheme.hash)
    throw new TrustplaneError(
      'ATTESTATION_SIGNATURE_INVALID',
      `the signature is ${sig.scheme}/${sig.hash}; the AK signs ${scheme.scheme}/${scheme.hash}`,
    );
}

/** The reported PCRs are exactly the quoted selection, and hash to the quoted pcrDigest. */
function pcrDigestMatches(c: QuoteContext): void {
  const quote = need(need(c.attest).quote);
  const { alg, values } = c.evidence.pcrs;
  const bank = quote.pcrSelect.length === 1 ? quote.pcrSelect[0] : undefined;
  const reported = [...values.keys()].sort((a, b) => a - b);
  if (bank === undefined || bank.hashAlg !== tpmHashId(alg) || bank.indices.join() !== reported.join())
    throw new TrustplaneError(
      'QUOTE_PCR_DIGEST_MISMATCH',
      `the quote selects other PCRs than the ${alg} PCRs ${reported.join(',')} reported`,
    );
  const digest = pcrDigest(
    need(c.signature).hash,
    bank.indices.map((i) => values.get(i) ?? new Uint8Array(0)),
  );
  if (!equalBytes(digest, quote.pcrDigest))
    throw new TrustplaneError(
      'QUOTE_PCR_DIGEST_MISMATCH',
      'the reported PCR values do not hash to the quoted pcrDigest',
    );
}

function verifySignature(key: KeyObject, sig: TpmtSignature, message: Uint8Array): boolean {
  if (sig.scheme === 'ecdsa') {
    const size = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 48 : 32;
    if (sig.r.length > size || sig.s.length > size) return false;
    const p1363 = new Uint8Array(2 * size);
    p1363.set(sig.r, size - sig.r.length);
    p1363.set(sig.s, 2 * size - sig.s.length);
    return verify(sig.hash, message, { key, dsaEncoding: 'ieee-p1363' }, p1363);
  }
  const padding = sig.scheme === 'rsassa' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_PSS_PADDING;
  return verify(sig.hash, message, { key, padding, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig.sig);
}

function signatureVerifies(c: QuoteContext): void {
  let ok: boolean;
  try {
    ok = verifySignature(need(c.ak).key, need(c.signature), c.evidence.attest);
  } catch (cause) {
    throw new TrustplaneError('ATTESTATION_SIGNATURE_INVALID', 'the quote signature cannot be checked', { cause });
  }
  if (!ok)
    throw new TrustplaneError(
      'ATTESTATION_SIGNATURE_INVALID',
      'the quote signature does not verify with the registered AK',
    );
}

/**
 * The checks, in order. Field checks come before the signature so each tampering keeps its own
 * reason; nothing is accepted until every step, the signature last, has passed.
 */
const steps: readonly ((c: QuoteContext) => void)[] = [
  keyIsRegistered,
  parseQuote,
  magicIsTpmGenerated,
  typeIsQuote,
  extraDataIsNonce,
  signerIsRegisteredKey,
  schemeIsTheKeys,
  pcrDigestMatches,
  signatureVerifies,
];

/**
 * Verifies a TPM 2.0 quote against the challenge nonce and the device's registered AK. Pure: no
 * I/O, no clock (the nonce's freshness is the caller's, who issued it). Throws a TrustplaneError
 * whose code names the first check that failed.
 */
export function verifyTpmQuote(
  evidence: TpmQuoteEvidence,
  nonce: Uint8Array,
  registered: RegisteredAttestationKey,
): VerifiedTpmQuote {
  const c: QuoteContext = { evidence, nonce, registered };
  for (const step of steps) step(c);
  const attest = need(c.attest);
  return {
    kind: 'tpm2-quote',
    pcrs: evidence.pcrs,
    clockInfo: attest.clockInfo,
    firmwareVersion: attest.firmwareVersion,
    akName: need(c.ak).name,
  };
}
