import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isTrustplaneError } from '../core/errors.ts';
import { readReferenceValues, type ReferenceBank } from '../updates/release-reference-values.ts';
import { usageError } from './cli-error.ts';
import { readInputFile } from './files.ts';

/** `bootMeasurements` as `POST …/releases` takes it: one bank, per PCR the digests extended into it in boot order. */
export interface BootMeasurements {
  readonly bank: ReferenceBank;
  readonly pcrs: Readonly<Record<string, readonly string[]>>;
}

export const referenceBanks: readonly ReferenceBank[] = ['sha256', 'sha384', 'sha512'];

/**
 * The PCRs "the image's digest, extended once from zeros" can describe and a device cannot forge
 * after boot: 0–15, which only a TPM Reset clears (PC Client PTP §3.7.1). PCR 16 (debug) and 23
 * (application) may be reset by software at locality 0, so a running system could reset one and
 * extend the expected digest itself; 17–22 (dynamic launch) start at all ones, not zeros.
 */
const MAX_STATIC_PCR = 15;

/**
 * What a release's `--boot-measurements` file and `--measure-image-into-pcr` say together, checked
 * here with the server's own reader (readReferenceValues) so a bad file is refused before any
 * byte is uploaded.
 */
export async function bootMeasurementsFor(o: {
  file: string | undefined;
  image: string;
  measureIntoPcr: number | undefined;
  bank: ReferenceBank | undefined;
}): Promise<{ measurements: BootMeasurements; measuredImageSha256?: string } | undefined> {
  const fromFile = o.file === undefined ? undefined : await readBootMeasurementsFile(o.file);
  if (o.measureIntoPcr === undefined) {
    if (o.bank !== undefined) throw usageError('--bank goes with --measure-image-into-pcr (a --boot-measurements file names its own bank)');
    return fromFile && { measurements: fromFile };
  }
  const pcr = o.measureIntoPcr;
  if (pcr > MAX_STATIC_PCR)
    throw usageError(`--measure-image-into-pcr ${pcr}: a PCR 0–15 (only a TPM Reset clears them; 16 and 23 software may reset, 17–22 do not start from zeros)`);
  if (fromFile !== undefined && o.bank !== undefined && o.bank !== fromFile.bank)
    throw usageError(`--bank ${o.bank} differs from the bank of ${o.file ?? ''} (${fromFile.bank}): a release's reference values are one bank`);
  if (fromFile?.pcrs[String(pcr)] !== undefined) throw usageError(`${o.file ?? ''} already lists PCR ${pcr}; --measure-image-into-pcr ${pcr} would have to be its only measurement`);
  const bank = fromFile?.bank ?? o.bank ?? 'sha256';
  const digest = await imageDigests(o.image, bank);
  const combined = { bank, pcrs: { ...fromFile?.pcrs, [String(pcr)]: [digest.measurement] } };
  // the image's SHA-256 as measured: the upload must be these bytes (a file rewritten meanwhile is caught)
  return { measurements: checked(combined, '--measure-image-into-pcr'), measuredImageSha256: digest.sha256 };
}

async function readBootMeasurementsFile(file: string): Promise<BootMeasurements> {
  const text = await readInputFile(file, 'boot measurements');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw usageError(`--boot-measurements ${file}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`, cause);
  }
  return checked(json, `--boot-measurements ${file}`);
}

function checked(json: unknown, where: string): BootMeasurements {
  try {
    const read = readReferenceValues(json);
    if (read === null) throw usageError(`${where}: no measurements`);
    return { bank: read.bank, pcrs: Object.fromEntries(Object.entries(read.pcrs).map(([i, p]) => [i, p.measurements])) };
  } catch (e) {
    if (isTrustplaneError(e)) throw usageError(`${where}: ${e.message}`, e);
    throw e;
  }
}

/** The image file's digest in the bank's algorithm (the measurement) and its SHA-256, lowercase hex, in one read. */
async function imageDigests(file: string, bank: ReferenceBank): Promise<{ measurement: string; sha256: string }> {
  const measurement = createHash(bank);
  const sha256 = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) {
      measurement.update(chunk as Buffer);
      sha256.update(chunk as Buffer);
    }
  } catch (cause) {
    throw usageError(`cannot read image ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  return { measurement: measurement.digest('hex'), sha256: sha256.digest('hex') };
}
