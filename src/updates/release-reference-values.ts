import { TrustplaneError } from '../core/errors.ts';
import { referencePcrValue } from '../attestation/tpm/pcr-digest.ts';
import type { TpmHashName } from '../attestation/tpm/tpm-constants.ts';

/**
 * RFC 9334 §3.3: the release pipeline is the reference value provider. A firmware release may
 * carry what a device running it measures at boot: for each PCR of one bank, the digests extended
 * into it in boot order. The PCR value a TPM then reports is computed here once (TPM 2.0 Part 1
 * §17.2, `referencePcrValue`) and kept beside the measurements it came from.
 */
export interface ReleaseReferenceValues {
  readonly bank: ReferenceBank;
  /** by PCR index (decimal): the measurements in boot order and the PCR value they give, lowercase hex */
  readonly pcrs: Readonly<Record<string, { readonly measurements: readonly string[]; readonly value: string }>>;
}

export type ReferenceBank = Extract<TpmHashName, 'sha256' | 'sha384' | 'sha512'>;

const banks: readonly ReferenceBank[] = ['sha256', 'sha384', 'sha512'];
const hexBytes: Record<ReferenceBank, number> = { sha256: 32, sha384: 48, sha512: 64 };
/** PCRs 0–23 are a PC Client TPM's (PTP §3.7.1); 24 at most, each with at most 64 measurements. */
const MAX_PCR_INDEX = 23;
const MAX_MEASUREMENTS = 64;

function invalid(message: string): TrustplaneError {
  return new TrustplaneError('VALIDATION_FAILED', `bootMeasurements: ${message}`, { details: { field: 'bootMeasurements' } });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `bootMeasurements` of a release request (attacker-shaped JSON, bounded above) into reference values. */
export function readReferenceValues(input: unknown): ReleaseReferenceValues | null {
  if (input === undefined) return null;
  if (!isRecord(input) || Object.keys(input).some((k) => k !== 'bank' && k !== 'pcrs')) throw invalid('must be { bank, pcrs }');
  const bank = input.bank;
  if (typeof bank !== 'string' || !(banks as readonly string[]).includes(bank)) throw invalid(`bank must be one of ${banks.join(', ')}`);
  const b = bank as ReferenceBank;
  if (!isRecord(input.pcrs) || Object.keys(input.pcrs).length === 0) throw invalid('pcrs must map at least one PCR index to its measurements');
  const pcrs: Record<string, { measurements: string[]; value: string }> = {};
  for (const [index, list] of Object.entries(input.pcrs)) {
    if (!/^(0|[1-9][0-9]?)$/.test(index) || Number(index) > MAX_PCR_INDEX) throw invalid(`PCR index ${index.slice(0, 8)} is not 0–${MAX_PCR_INDEX}`);
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_MEASUREMENTS) throw invalid(`PCR ${index} needs 1–${MAX_MEASUREMENTS} measurements`);
    const digest = new RegExp(`^[0-9a-f]{${hexBytes[b] * 2}}$`);
    const measurements = list.map((m) => {
      if (typeof m !== 'string' || !digest.test(m)) throw invalid(`PCR ${index}: each measurement is a ${b} digest in lowercase hex`);
      return m;
    });
    const value = Buffer.from(referencePcrValue(b, measurements.map((m) => new Uint8Array(Buffer.from(m, 'hex'))))).toString('hex');
    pcrs[String(Number(index))] = { measurements, value };
  }
  // one spelling per value: PCRs in index order, so equal requests store and compare equal
  const ordered = Object.fromEntries(Object.entries(pcrs).sort(([x], [y]) => Number(x) - Number(y)));
  return { bank: b, pcrs: ordered };
}

/** The PCR values alone, as the ledger and the API show them. */
export function referencePcrValues(r: ReleaseReferenceValues): { bank: ReferenceBank; values: Record<string, string> } {
  return { bank: r.bank, values: Object.fromEntries(Object.entries(r.pcrs).map(([i, p]) => [i, p.value])) };
}
