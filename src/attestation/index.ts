export { signClaimsToken, verifyClaimsToken, type ClaimDigest, type DeviceClaims } from './claims/index.ts';
export { decodeEvidence, type ClaimsEvidence, type Evidence } from './evidence.ts';
export {
  encodeTpmQuoteEvidence,
  referencePcrValue,
  verifyTpmQuote,
  type RegisteredAttestationKey,
  type TpmQuoteEvidence,
  type VerifiedTpmQuote,
} from './tpm/index.ts';
