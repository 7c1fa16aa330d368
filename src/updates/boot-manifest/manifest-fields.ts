import { SKU_PATTERN } from '../../pki/validation.ts';
import { bootManifestKinds, type BootManifest } from './boot-manifest.types.ts';

/**
 * The field rules of the payload (the CDDL in docs/reference/boot-manifest.md), one function per
 * field, shared by the signer (refuses to sign a bad manifest) and the verifier (refuses to
 * accept one). Strings are printable ASCII so a bootloader compares bytes, never Unicode.
 */

export const MAX_SECURITY_VERSION = 0xffff_ffff;
export const MAX_HARDWARE_REVISIONS = 32;
const VISIBLE_ASCII_64 = /^[\x21-\x7e]{1,64}$/;
const VISIBLE_ASCII_128 = /^[\x21-\x7e]{1,128}$/;

export interface FieldProblem {
  readonly field: string;
  readonly reason: string;
}

type Candidate = { readonly [K in keyof BootManifest]: unknown };
type Check = (value: unknown) => string | undefined;

const isUint = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const isBytes = (v: unknown, length: number): boolean => v instanceof Uint8Array && v.length === length;
const matches = (v: unknown, pattern: RegExp): boolean => typeof v === 'string' && pattern.test(v);

function hardwareProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'must be an array of hardware revisions';
  if (v.length > MAX_HARDWARE_REVISIONS) return `must list at most ${MAX_HARDWARE_REVISIONS} revisions`;
  if (!v.every((r) => matches(r, VISIBLE_ASCII_64))) return 'revisions must be 1 to 64 visible ASCII characters';
  if (new Set(v).size !== v.length) return 'must not list a revision twice';
  return undefined;
}

function imageProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'must be { length, sha256, sha512 }';
  const { length, sha256, sha512 } = v as Record<string, unknown>;
  if (!isUint(length, Number.MAX_SAFE_INTEGER) || length === 0) return 'length must be a positive integer';
  if (!isBytes(sha256, 32)) return 'sha256 must be 32 bytes';
  if (!isBytes(sha512, 64)) return 'sha512 must be 64 bytes';
  return undefined;
}

const checks: { readonly [K in keyof BootManifest]: Check } = {
  formatVersion: (v) => (v === 1 ? undefined : 'must be 1'),
  product: (v) => (matches(v, SKU_PATTERN) ? undefined : 'must be a product SKU'),
  kind: (v) =>
    (bootManifestKinds as readonly unknown[]).includes(v)
      ? undefined
      : `must be one of ${bootManifestKinds.join(', ')}`,
  version: (v) => (matches(v, VISIBLE_ASCII_64) ? undefined : 'must be 1 to 64 visible ASCII characters'),
  securityVersion: (v) => (isUint(v, MAX_SECURITY_VERSION) ? undefined : 'must be an integer from 0 to 2^32-1'),
  hardware: hardwareProblem,
  image: imageProblem,
  releaseId: (v) => (matches(v, VISIBLE_ASCII_128) ? undefined : 'must be 1 to 128 visible ASCII characters'),
  issuedAt: (v) => (isUint(v, Number.MAX_SAFE_INTEGER) ? undefined : 'must be whole seconds since the epoch'),
};

/** The first field that breaks its rule, or undefined when `candidate` is a valid manifest. */
export function manifestFieldProblem(candidate: Candidate): FieldProblem | undefined {
  for (const field of Object.keys(checks) as (keyof BootManifest)[]) {
    const reason = checks[field](candidate[field]);
    if (reason !== undefined) return { field, reason };
  }
  return undefined;
}
