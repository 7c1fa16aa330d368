import { TrustplaneError } from '../../core/errors.ts';
import { decodeBase64Strict, encodeBase64 } from '../../ledger/strict-base64.ts';
import { digestSize } from './pcr-digest.ts';
import type { TpmHashName } from './tpm-constants.ts';
import { MAX_TPMS_ATTEST_BYTES, parseTpmsAttest } from './tpms-attest.ts';
import { MAX_TPM2B_PUBLIC_BYTES } from './tpmt-public.ts';
import { TpmReader } from './tpm-reader.ts';
import { MAX_TPMT_SIGNATURE_BYTES, parseTpmtSignature } from './tpmt-signature.ts';

/** PCR values the attester reports for one bank, by PCR index. */
export interface ReportedPcrs {
  readonly alg: TpmHashName;
  readonly values: ReadonlyMap<number, Uint8Array>;
}

/**
 * A TPM 2.0 quote as the agent sends it (docs/design/attestation.md, "TPM quote evidence"):
 * the three outputs of TPM2_Quote as tpm2-tools writes them, plus the PCR values they cover.
 */
export interface TpmQuoteEvidence {
  readonly kind: 'tpm2-quote';
  /** TPM2B_PUBLIC of the attestation key (tpm2_createak -u, -f tss). */
  readonly akPublic: Uint8Array;
  /** TPMS_ATTEST, the signed message (tpm2_quote -m). */
  readonly attest: Uint8Array;
  /** TPMT_SIGNATURE over `attest` (tpm2_quote -s). */
  readonly signature: Uint8Array;
  readonly pcrs: ReportedPcrs;
}

/** PCR banks the wire form accepts; SHA-1 PCRs can be forged by collision and are not reported. */
const banks: readonly TpmHashName[] = ['sha256', 'sha384', 'sha512'];
/** A TPM has at most 32 PCRs here (PCR_SELECT_MAX 4). */
const MAX_PCR_INDEX = 31;

function malformed(message: string): TrustplaneError {
  return new TrustplaneError('ATTESTATION_EVIDENCE_MALFORMED', `tpm2-quote evidence: ${message}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function base64Field(o: Record<string, unknown>, field: string, max: number): Uint8Array {
  const v = o[field];
  // base64 of `max` bytes is 4⌈max/3⌉ characters: longer strings are refused before decoding.
  if (typeof v !== 'string' || v.length > 4 * Math.ceil(max / 3))
    throw malformed(`${field} is not base64 of at most ${max} bytes`);
  const bytes = decodeBase64Strict(v);
  if (bytes === undefined) throw malformed(`${field} is not canonical base64`);
  // 4⌈max/3⌉ characters hold up to two bytes more than max
  if (bytes.length > max) throw malformed(`${field} is ${bytes.length} bytes, more than ${max}`);
  return bytes;
}

function readPcrs(v: unknown): ReportedPcrs {
  if (!isRecord(v) || Object.keys(v).length !== 2) throw malformed('pcrs is not { alg, values }');
  const alg = banks.find((b) => b === v.alg);
  if (alg === undefined) throw malformed(`pcrs.alg is not one of ${banks.join(', ')}`);
  if (!isRecord(v.values)) throw malformed('pcrs.values is not an object');
  const hexLength = 2 * digestSize(alg);
  const values = new Map<number, Uint8Array>();
  for (const [key, hex] of Object.entries(v.values)) {
    const index = Number(key);
    if (!/^(0|[1-9][0-9]?)$/.test(key) || index > MAX_PCR_INDEX)
      throw malformed(`pcrs.values has a key that is not a PCR index 0–${MAX_PCR_INDEX}`);
    if (typeof hex !== 'string' || hex.length !== hexLength || !/^[0-9a-f]*$/.test(hex))
      throw malformed(`PCR ${index} is not ${hexLength} lowercase hex digits`);
    values.set(index, new Uint8Array(Buffer.from(hex, 'hex')));
  }
  if (values.size === 0) throw malformed('pcrs.values is empty');
  return { alg, values };
}

/** The evidence from its JSON wire form (attacker-controlled; the HTTP layer bounds the body). */
export function decodeTpmQuoteEvidence(json: unknown): TpmQuoteEvidence {
  if (!isRecord(json)) throw malformed('not a JSON object');
  const extra = Object.keys(json).filter((k) => !['kind', 'akPublic', 'attest', 'signature', 'pcrs'].includes(k));
  if (extra.length > 0) throw malformed(`unknown member ${extra[0]}`);
  if (json.kind !== 'tpm2-quote') throw malformed('kind is not tpm2-quote');
  const evidence: TpmQuoteEvidence = {
    kind: 'tpm2-quote',
    akPublic: base64Field(json, 'akPublic', MAX_TPM2B_PUBLIC_BYTES),
    attest: base64Field(json, 'attest', MAX_TPMS_ATTEST_BYTES),
    signature: base64Field(json, 'signature', MAX_TPMT_SIGNATURE_BYTES),
    pcrs: readPcrs(json.pcrs),
  };
  // The three structures must parse before the evidence reaches the verifier's transaction: a
  // truncated or padded structure is bad input (400, nothing written, the nonce left unused), not
  // an attestation failure of the device. verifyTpmQuote parses them again, as its step 2. Of the
  // AK only the TPM2B framing: its bytes are compared with the registered AK's, which is parsed
  // (a key object made: as costly as the signature check) once per AK, not once per quote.
  const framing = new TpmReader(evidence.akPublic, 'TPM2B_PUBLIC');
  framing.tpm2b('publicArea', MAX_TPM2B_PUBLIC_BYTES);
  framing.end();
  parseTpmsAttest(evidence.attest);
  parseTpmtSignature(evidence.signature);
  return evidence;
}

/** The JSON wire form: bytes as standard base64, PCR values as lowercase hex keyed by decimal index. */
export function encodeTpmQuoteEvidence(e: TpmQuoteEvidence): Record<string, unknown> {
  const values = Object.fromEntries(
    [...e.pcrs.values].sort(([a], [b]) => a - b).map(([i, v]) => [String(i), Buffer.from(v).toString('hex')]),
  );
  return {
    kind: e.kind,
    akPublic: encodeBase64(e.akPublic),
    attest: encodeBase64(e.attest),
    signature: encodeBase64(e.signature),
    pcrs: { alg: e.pcrs.alg, values },
  };
}
