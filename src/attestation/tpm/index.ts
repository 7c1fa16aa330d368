export { checkAttestationKey, publicAreaName } from './attestation-key.ts';
export { parseEndorsementKey, type EndorsementKey } from './endorsement-key.ts';
export { endorsementPublicKey, verifyEkCertificate } from './ek-certificate.ts';
export { makeCredential, type MadeCredential } from './make-credential.ts';
export { pcrDigest, referencePcrValue } from './pcr-digest.ts';
export { TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, type TpmHashName } from './tpm-constants.ts';
export { endorsementQualifiedName, qualifiedName, tpmName } from './tpm-name.ts';
export {
  decodeTpmQuoteEvidence,
  encodeTpmQuoteEvidence,
  type ReportedPcrs,
  type TpmQuoteEvidence,
} from './tpm-quote-evidence.ts';
export { parseTpmsAttest, type TpmClockInfo, type TpmsAttest } from './tpms-attest.ts';
export { parseTpm2bPublic, type TpmPublicKey } from './tpmt-public.ts';
export { parseTpmtSignature, type TpmtSignature } from './tpmt-signature.ts';
export { verifyTpmQuote, type RegisteredAttestationKey, type VerifiedTpmQuote } from './verify-tpm-quote.ts';
