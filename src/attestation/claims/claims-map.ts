import { TrustplaneError } from '../../core/errors.ts';
import {
  claimKey,
  coseHashAlg,
  hashBytes,
  MAX_BOOT_MEASUREMENTS,
  MAX_TEXT_CHARS,
  NONCE_BYTES,
  TRUSTPLANE_EAT_PROFILE,
  UEID_BYTES,
} from './claim-keys.ts';
import type { ClaimDigest, DeviceClaims } from './device-claims.types.ts';

type ClaimName = keyof typeof claimKey;

function malformed(claim: ClaimName, message: string): TrustplaneError {
  return new TrustplaneError('ATTESTATION_EVIDENCE_MALFORMED', `claim ${claim}: ${message}`, { details: { claim } });
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function required(map: ReadonlyMap<unknown, unknown>, claim: ClaimName): unknown {
  const v = map.get(claimKey[claim]);
  if (v === undefined)
    throw new TrustplaneError('ATTESTATION_CLAIM_MISSING', `the claims token has no ${claim} (${claimKey[claim]})`, {
      details: { claim },
    });
  return v;
}

function bytesClaim(claim: ClaimName, v: unknown, bounds: { min: number; max: number }): Uint8Array {
  if (!isBytes(v) || v.length < bounds.min || v.length > bounds.max)
    throw malformed(claim, `not a byte string of ${bounds.min}–${bounds.max} bytes`);
  return new Uint8Array(v);
}

function textClaim(claim: ClaimName, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT_CHARS)
    throw malformed(claim, `not a text string of 1–${MAX_TEXT_CHARS} characters`);
  return v;
}

const hashByCoseId = new Map<number, ClaimDigest['alg']>(
  Object.entries(coseHashAlg).map(([name, id]) => [id, name as ClaimDigest['alg']]),
);

/** RFC 9054 §2: COSE_Hash_V = [hashAlg : int, hashValue : bstr]. */
function digestClaim(claim: ClaimName, v: unknown): ClaimDigest {
  if (!Array.isArray(v) || v.length !== 2) throw malformed(claim, 'not a COSE_Hash_V [alg, value]');
  const [id, value] = v as unknown[];
  const alg = typeof id === 'number' ? hashByCoseId.get(id) : undefined;
  if (alg === undefined) throw malformed(claim, 'not hashed with SHA-256, SHA-384 or SHA-512');
  if (!isBytes(value) || value.length !== hashBytes[alg]) throw malformed(claim, `not a ${alg} digest`);
  return { alg, value: new Uint8Array(value) };
}

/**
 * The claims set (a CBOR map, RFC 8392 §7) read into DeviceClaims: each claim present and of its
 * type. Claims this profile does not name are ignored, as RFC 9711 §4 has receivers do.
 */
export function readDeviceClaims(map: ReadonlyMap<unknown, unknown>): DeviceClaims {
  if (required(map, 'eatProfile') !== TRUSTPLANE_EAT_PROFILE)
    throw malformed('eatProfile', `not ${TRUSTPLANE_EAT_PROFILE}`);
  const ueid = map.get(claimKey.ueid);
  // RFC 9711 §4.2.7 swversion = [version : tstr, ? version-scheme]
  const swversion = required(map, 'swversion');
  if (!Array.isArray(swversion) || swversion.length < 1 || swversion.length > 2)
    throw malformed('swversion', 'not [version, ?scheme]');
  const securityVersion = required(map, 'securityVersion');
  if (typeof securityVersion !== 'number' || !Number.isSafeInteger(securityVersion) || securityVersion < 0)
    throw malformed('securityVersion', 'not an unsigned integer');
  const measurements = required(map, 'bootMeasurements');
  if (!Array.isArray(measurements) || measurements.length === 0 || measurements.length > MAX_BOOT_MEASUREMENTS)
    throw malformed('bootMeasurements', `not a list of 1–${MAX_BOOT_MEASUREMENTS} digests`);
  return {
    nonce: bytesClaim('eatNonce', required(map, 'eatNonce'), NONCE_BYTES),
    ...(ueid === undefined ? {} : { ueid: bytesClaim('ueid', ueid, UEID_BYTES) }),
    serial: textClaim('serial', required(map, 'serial')),
    version: textClaim('swversion', (swversion as unknown[])[0]),
    firmwareDigest: digestClaim('firmwareDigest', required(map, 'firmwareDigest')),
    securityVersion,
    configurationDigest: digestClaim('configurationDigest', required(map, 'configurationDigest')),
    bootMeasurements: (measurements as unknown[]).map((m) => digestClaim('bootMeasurements', m)),
  };
}

/** The inverse: the claims set a device signs. */
export function deviceClaimsMap(c: DeviceClaims): Map<number, unknown> {
  const digest = (d: ClaimDigest): unknown[] => [coseHashAlg[d.alg], d.value];
  const map = new Map<number, unknown>([
    [claimKey.eatNonce, c.nonce],
    [claimKey.eatProfile, TRUSTPLANE_EAT_PROFILE],
    [claimKey.swversion, [c.version]],
    [claimKey.serial, c.serial],
    [claimKey.firmwareDigest, digest(c.firmwareDigest)],
    [claimKey.securityVersion, c.securityVersion],
    [claimKey.configurationDigest, digest(c.configurationDigest)],
    [claimKey.bootMeasurements, c.bootMeasurements.map(digest)],
  ]);
  if (c.ueid !== undefined) map.set(claimKey.ueid, c.ueid);
  return map;
}
