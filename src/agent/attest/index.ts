export {
  defaultTpmHandles,
  provisionAttestationKey,
  readPublic,
  type AttestationKeyPublics,
  type TpmHandles,
} from './tpm-attestation-key.ts';
export { extendPcr, quotePcrs } from './tpm-quote.ts';
export { Tpm2Tools } from './tpm2-tools.ts';
export { activateCredential } from './credential-activation.ts';
