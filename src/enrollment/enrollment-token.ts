import { createHash } from 'node:crypto';
import { TrustplaneError } from '../core/errors.ts';
import type { Random } from '../core/random.ts';

/**
 * One-time enrollment tokens: `tpe_` + 192 random bits in base64url. Only the SHA-256 is stored
 * (DESIGN rule 3: owner = the batch's factory, purpose = one serial's enrollment, expiry = the batch's end).
 */
const PREFIX = 'tpe_';
const TOKEN_PATTERN = /^tpe_[A-Za-z0-9_-]{32}$/;

export function mintEnrollmentToken(random: Random): { secret: string; hash: Uint8Array } {
  const secret = PREFIX + Buffer.from(random.bytes(24)).toString('base64url');
  return { secret, hash: hashEnrollmentToken(secret) };
}

export function hashEnrollmentToken(secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret, 'utf8').digest());
}

/** Attacker-controlled (an HTTP Basic password): checked for shape before it is hashed and looked up. */
export function parseEnrollmentToken(secret: string): Uint8Array {
  if (!TOKEN_PATTERN.test(secret)) throw new TrustplaneError('ENROLLMENT_TOKEN_INVALID', 'the password is not a trustplane enrollment token');
  return hashEnrollmentToken(secret);
}
