import { LengthOrHashMismatchError, UnsignedMetadataError } from '@tufjs/models/dist/error.js';
import {
  BadVersionError,
  DownloadError,
  DownloadHTTPError,
  DownloadLengthMismatchError,
  ExpiredMetadataError,
} from 'tuf-js/dist/error.js';
import { AgentError } from '../agent-error.ts';

/** Where in the TUF client workflow a failure happened: metadata (TUF 5.3–5.6) or the target (5.7). */
export type TufPhase = 'refresh' | 'download';

export const tufRefusalCodes = [
  'TUF_EXPIRED',
  'TUF_SIGNATURE_THRESHOLD',
  'TUF_ROLLBACK',
  'TUF_METADATA_MISMATCH',
  'TUF_METADATA_INVALID',
  'TUF_TARGET_MISMATCH',
  'TUF_TARGET_MISSING',
] as const;
export type TufRefusalCode = (typeof tufRefusalCodes)[number];

/**
 * A tuf-js failure as an AgentError with a stable code. Verification failures are `rejected` (the
 * agent refuses what it was given, and says so in a report); a repository it cannot reach is
 * `unreachable` TUF_UNAVAILABLE (nothing was refused: tried again later, not reported).
 * tuf-js wraps snapshot and targets failures in a RuntimeError whose message keeps the inner
 * error's text (updater.js loadSnapshot/loadTargets), so the text is read when the class is lost.
 */
export function tufFailure(e: unknown, phase: TufPhase): AgentError {
  const message = e instanceof Error ? e.message : String(e);
  const rejected = (code: TufRefusalCode): AgentError =>
    new AgentError('rejected', code, `TUF: ${message}`.slice(0, 400), { cause: e });
  if (unreachable(e, message))
    return new AgentError('unreachable', 'TUF_UNAVAILABLE', `TUF repository unreachable: ${message}`, { cause: e });
  // TUF 5.3.10, 5.4.4, 5.5.6, 5.6.6: expired metadata (a freeze attack).
  if (e instanceof ExpiredMetadataError || /\bis expired\b/.test(message)) return rejected('TUF_EXPIRED');
  // TUF 5.3.4, 5.4.2, 5.5.3, 5.6.3: too few valid signatures from the role's keys.
  if (e instanceof UnsignedMetadataError || /was signed by \d+\/\d+ keys/.test(message))
    return rejected('TUF_SIGNATURE_THRESHOLD');
  // TUF 5.3.5, 5.4.3, 5.5.5: a version below the trusted one (rollback).
  if (/is less than current version|Expected version \d+, got \d+/.test(message)) return rejected('TUF_ROLLBACK');
  // TUF 5.5.4, 5.6.4: a version other than the one the higher role pins (mix-and-match).
  if (e instanceof BadVersionError || /does not match snapshot version|doesn't match timestamp/.test(message))
    return rejected('TUF_METADATA_MISMATCH');
  // TUF 5.7.3 / 5.5.2: length or hashes differ from the signed ones (changed bytes, endless data).
  const lengthOrHash =
    e instanceof LengthOrHashMismatchError ||
    e instanceof DownloadLengthMismatchError ||
    /Expected (length|hash) |Max length reached/.test(message);
  if (lengthOrHash) return rejected(phase === 'download' ? 'TUF_TARGET_MISMATCH' : 'TUF_METADATA_MISMATCH');
  return rejected('TUF_METADATA_INVALID');
}

function unreachable(e: unknown, message: string): boolean {
  if (e instanceof DownloadHTTPError || (e instanceof DownloadError && !(e instanceof DownloadLengthMismatchError)))
    return true;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return true;
  // Node's fetch: "TypeError: fetch failed" (connection refused, reset, DNS), possibly wrapped.
  return /fetch failed|Failed to download|ECONNREFUSED|ECONNRESET|ETIMEDOUT|The operation was aborted/.test(message);
}

export function targetMissing(targetName: string): AgentError {
  return new AgentError('rejected', 'TUF_TARGET_MISSING', `TUF: no signed target ${targetName}`);
}
