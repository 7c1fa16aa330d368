export { claimKey, MAX_CLAIMS_TOKEN_BYTES, TRUSTPLANE_EAT_PROFILE } from './claim-keys.ts';
export { signClaimsToken, verifyClaimsToken } from './claims-token.ts';
export type { ClaimDigest, DeviceClaims } from './device-claims.types.ts';
