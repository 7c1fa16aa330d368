export { activateCredential } from './credential-activation.ts';
export { chainFor, EK_CHAIN_NV_INDICES, readEkCertificateChain, splitDerCertificates } from './ek-certificate-chain.ts';
export {
  defaultTpmHandles,
  ekCertificateIndexFor,
  ekCertificateNvIndex,
  definedNvIndices,
  findEkCertificate,
  provisionAttestationKey,
  readEkCertificate,
  readPublic,
  type AttestationKeyPublics,
  type TpmHandles,
} from './tpm-attestation-key.ts';
export { extendPcr, quotePcrs } from './tpm-quote.ts';
export { Tpm2Tools } from './tpm2-tools.ts';
export { claimsEvidence, claimsEvidenceJson } from './claims-evidence.ts';
export { DeviceAttestationApi, type AttestationAnswer, type DeviceAttestationApiOptions } from './device-attestation-api.ts';
export { attestWithClaims, attestWithTpm, registerTpmAttestationKey, type EkCertificateSource } from './attest-once.ts';
export { DEFAULT_ATTEST_INTERVAL_SECONDS, runAttestLoop, type AttestLoopOptions } from './attest-loop.ts';
export { parseDeviceStateClaims, type DeviceStateClaims } from './device-state-claims.ts';
