import { MAX_DIGEST_BYTES, MAX_NAME_BYTES, TPM_ST_ATTEST_QUOTE } from './tpm-constants.ts';
import { readPcrSelection, type PcrBankSelection } from './pcr-selection.ts';
import { TpmReader } from './tpm-reader.ts';

/** TPM 2.0 Part 2 §10.11.1 TPMS_CLOCK_INFO. */
export interface TpmClockInfo {
  readonly clock: bigint;
  readonly resetCount: number;
  readonly restartCount: number;
  readonly safe: boolean;
}

/** TPM 2.0 Part 2 §10.12.12 TPMS_ATTEST, as a quote carries it (§10.12.4 TPMS_QUOTE_INFO). */
export interface TpmsAttest {
  readonly magic: number;
  readonly type: number;
  readonly qualifiedSigner: Uint8Array;
  readonly extraData: Uint8Array;
  readonly clockInfo: TpmClockInfo;
  readonly firmwareVersion: bigint;
  /** Present when type is TPM_ST_ATTEST_QUOTE; other attestation types are not parsed. */
  readonly quote: { readonly pcrSelect: readonly PcrBankSelection[]; readonly pcrDigest: Uint8Array } | undefined;
}

/** Attacker-controlled input: a quote is ~130 bytes; a verifier reads no more than this. */
export const MAX_TPMS_ATTEST_BYTES = 1024;

/**
 * Parses the TPMS_ATTEST a quote signs (tpm2_quote -m: the structure itself, not a TPM2B).
 * Only structure is checked here: magic, type and the fields' meaning are the verifier's steps,
 * so each refusal keeps its own code. Another type is read up to `attested` and left for the
 * verifier's type check to refuse: trustplane reads no other TPMU_ATTEST arm.
 */
export function parseTpmsAttest(bytes: Uint8Array): TpmsAttest {
  const r = new TpmReader(bytes, 'TPMS_ATTEST');
  if (bytes.length > MAX_TPMS_ATTEST_BYTES) throw r.malformed(`${bytes.length} bytes exceed ${MAX_TPMS_ATTEST_BYTES}`);
  const magic = r.uint32('magic');
  const type = r.uint16('type');
  const qualifiedSigner = r.tpm2b('qualifiedSigner', MAX_NAME_BYTES);
  const extraData = r.tpm2b('extraData', MAX_DIGEST_BYTES);
  const clockInfo = readClockInfo(r);
  const firmwareVersion = r.uint64('firmwareVersion');
  let quote: TpmsAttest['quote'];
  if (type === TPM_ST_ATTEST_QUOTE) {
    const pcrSelect = readPcrSelection(r);
    const pcrDigest = r.tpm2b('pcrDigest', MAX_DIGEST_BYTES);
    quote = { pcrSelect, pcrDigest };
    r.end();
  }
  return { magic, type, qualifiedSigner, extraData, clockInfo, firmwareVersion, quote };
}

function readClockInfo(r: TpmReader): TpmClockInfo {
  const clock = r.uint64('clockInfo.clock');
  const resetCount = r.uint32('clockInfo.resetCount');
  const restartCount = r.uint32('clockInfo.restartCount');
  const safeByte = r.uint8('clockInfo.safe');
  // Part 2 §5.2 TPMI_YES_NO: only 0 or 1.
  if (safeByte > 1) throw r.malformed(`clockInfo.safe is ${safeByte}, not YES or NO`);
  return { clock, resetCount, restartCount, safe: safeByte === 1 };
}
