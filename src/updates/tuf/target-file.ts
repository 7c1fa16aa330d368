import { createHash } from 'node:crypto';
import { TrustplaneError } from '../../core/errors.ts';
import type { ReleaseCustom, TargetFileInfo } from './tuf-metadata.types.ts';

/** TUF 4.5: a target's fileinfo from its bytes — length, sha256 and sha512 (a client checks every hash it knows). */
export function targetFileInfo(bytes: Uint8Array, custom: ReleaseCustom): TargetFileInfo {
  return checkedTargetFileInfo({
    length: bytes.byteLength,
    hashes: { sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex') },
    custom,
  });
}

const segment = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/**
 * A target name (TUF TARGETPATH) we publish: relative, '/'-separated segments of letters, digits
 * and ._+- , no '.' or '..' segment, at most 255 characters. It becomes a URL path and, on a
 * device running tuf-js, part of a file name.
 */
export function checkTargetName(name: string): string {
  const segments = name.split('/');
  if (name.length > 255 || !segments.every((s) => segment.test(s) && s !== '.' && s !== '..' && !s.startsWith('..'))) {
    throw new TrustplaneError('VALIDATION_FAILED', 'a target name is relative, made of letters, digits and ._+- between slashes');
  }
  return name;
}

const sha256Hex = /^[0-9a-f]{64}$/;
const sha512Hex = /^[0-9a-f]{128}$/;
const shortText = (s: unknown, max: number): s is string => typeof s === 'string' && s.length > 0 && s.length <= max;

/** Checks a fileinfo made elsewhere (a streamed upload's length and hashes) before it enters metadata. */
export function checkedTargetFileInfo(info: TargetFileInfo): TargetFileInfo {
  const { length, hashes, custom } = info;
  if (!Number.isSafeInteger(length) || length < 0) throw invalid('the target length must be a non-negative integer');
  if (!sha256Hex.test(hashes.sha256) || !sha512Hex.test(hashes.sha512)) throw invalid('the target hashes must be lower-case hex sha256 and sha512');
  if (!shortText(custom.releaseId, 128) || !shortText(custom.version, 64)) throw invalid('a release id and version are required');
  if (!Number.isSafeInteger(custom.securityVersion) || custom.securityVersion < 0) throw invalid('the security version must be a non-negative integer');
  if (custom.kind !== 'firmware' && custom.kind !== 'config') throw invalid("the kind must be 'firmware' or 'config'");
  // An empty list is every hardware revision of the product, as in the boot manifest.
  if (custom.hardware.length > 64 || !custom.hardware.every((h) => shortText(h, 64))) {
    throw invalid('at most 64 hardware identifiers, each 1-64 characters');
  }
  // Only the known fields go into signed metadata: nothing a caller adds rides along unseen.
  return {
    length,
    hashes: { sha256: hashes.sha256, sha512: hashes.sha512 },
    custom: {
      releaseId: custom.releaseId,
      version: custom.version,
      securityVersion: custom.securityVersion,
      kind: custom.kind,
      hardware: [...custom.hardware],
    },
  };
}

function invalid(message: string): TrustplaneError {
  return new TrustplaneError('VALIDATION_FAILED', message);
}
