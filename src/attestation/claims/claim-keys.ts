/**
 * Claim keys of the claims token. Registered ones from the IANA CWT Claims registry (RFC 8392,
 * RFC 9711 EAT §4); trustplane's own are private-use keys (below -65536, RFC 8392 §9.1), kept
 * to what no registered claim says: EAT `measurements` (273) wraps a typed format (CoSWID
 * evidence, …) where a plain ordered digest list is enough here.
 */
export const claimKey = {
  eatNonce: 10,
  ueid: 256,
  eatProfile: 265,
  swversion: 271,
  serial: -65537,
  firmwareDigest: -65538,
  securityVersion: -65539,
  configurationDigest: -65540,
  bootMeasurements: -65541,
} as const;

/** RFC 9711 §4.3.2 eat_profile: names this document's layout, so no other token is read as one. */
export const TRUSTPLANE_EAT_PROFILE = 'https://trustplane.dev/eat/device-claims/v1';

/** RFC 9711 §4.1: eat_nonce is 8 to 64 bytes. */
export const NONCE_BYTES = { min: 8, max: 64 } as const;
/** RFC 9711 §4.2.1: a UEID is 7 to 33 bytes. */
export const UEID_BYTES = { min: 7, max: 33 } as const;
export const MAX_TEXT_CHARS = 128;
export const MAX_BOOT_MEASUREMENTS = 64;
/** Attacker-controlled input: a token with 64 SHA-512 measurements is ~5 KiB. */
export const MAX_CLAIMS_TOKEN_BYTES = 8 * 1024;

/** RFC 9054 §2 / IANA COSE Algorithms: hash algorithm ids. */
export const coseHashAlg = { sha256: -16, sha384: -43, sha512: -44 } as const;
export const hashBytes = { sha256: 32, sha384: 48, sha512: 64 } as const;
