import type { KeyObject } from 'node:crypto';
import { encodeTpmQuoteEvidence } from '../../attestation/tpm/tpm-quote-evidence.ts';
import type { TpmHashName } from '../../attestation/tpm/tpm-constants.ts';
import { claimsEvidence, claimsEvidenceJson } from './claims-evidence.ts';
import type { DeviceStateClaims } from './device-state-claims.ts';
import { activateCredential } from './credential-activation.ts';
import { readEkCertificateChain } from './ek-certificate-chain.ts';
import type { AttestationAnswer, DeviceAttestationApi } from './device-attestation-api.ts';
import { defaultTpmHandles, ekCertificateIndexFor, findEkCertificate, provisionAttestationKey, readEkCertificate, type TpmHandles } from './tpm-attestation-key.ts';
import { quotePcrs } from './tpm-quote.ts';
import type { Tpm2Tools } from './tpm2-tools.ts';

/** Where `attest-key register` finds the EK certificate it sends (docs/reference/agent.md). */
export interface EkCertificateSource {
  /** the NV index to read; `auto`: the index for the EK's key type, none sent if the TPM has none there */
  readonly nvIndex: number | 'auto' | 'none';
  /**
   * the chain up to the manufacturer's CA the product trusts, DER, issuer after issuer; when not
   * given, what the manufacturer stored in the TPM's chain indices (ek-certificate-chain.ts)
   */
  readonly intermediates?: readonly Uint8Array[];
}

/**
 * `attest-key register`: the EK and AK provisioned (kept if present), the AK registered with the
 * EK certificate the manufacturer wrote into NV, the server's MakeCredential challenge opened by
 * the TPM (ActivateCredential) and returned: the AK is then bound to this device
 * (docs/design/attestation.md, "AK registration").
 */
export async function registerTpmAttestationKey(
  api: DeviceAttestationApi,
  tools: Tpm2Tools,
  handles: TpmHandles = defaultTpmHandles,
  ekCertificate: EkCertificateSource = { nvIndex: 'auto' },
): Promise<{ id: string }> {
  const keys = await provisionAttestationKey(tools, handles);
  const nv = ekCertificate.nvIndex;
  const certificate =
    nv === 'none' ? undefined : nv === 'auto' ? await findEkCertificate(tools, ekCertificateIndexFor(keys.ekPublic)) : await readEkCertificate(tools, nv);
  const intermediates = ekCertificate.intermediates ?? (certificate === undefined ? [] : await readEkCertificateChain(tools, certificate));
  const challenge = await api.registerKey({
    ...keys,
    ...(certificate === undefined ? {} : { ekCertificate: certificate }),
    ...(intermediates.length === 0 ? {} : { ekIntermediates: intermediates }),
  });
  const credential = await activateCredential(tools, challenge, handles);
  return api.activateKey(challenge.id, credential);
}

/**
 * `attest`: the server's nonce, a TPM quote over it of the selected PCRs — the agent's own and
 * those the server says it appraises — the evidence sent; the appraisal's result or its refusal.
 */
export async function attestWithTpm(
  api: DeviceAttestationApi,
  tools: Tpm2Tools,
  selection: { readonly bank: TpmHashName; readonly pcrs: readonly number[] },
  handles: TpmHandles = defaultTpmHandles,
): Promise<AttestationAnswer> {
  const { nonce, pcrs } = await api.challenge();
  const quote = await quotePcrs(tools, nonce, { bank: selection.bank, pcrs: [...new Set([...selection.pcrs, ...pcrs])].sort((a, b) => a - b) }, handles);
  return api.evidence(nonce, encodeTpmQuoteEvidence(quote));
}

/**
 * `attest --claims`, for a device without a TPM: the server's nonce, the device's stated claims
 * over it signed with its identity key (the key of its current certificate), sent as evidence.
 */
export async function attestWithClaims(
  api: DeviceAttestationApi,
  identityKey: KeyObject,
  serial: string,
  state: DeviceStateClaims,
): Promise<AttestationAnswer> {
  const nonce = await api.nonce();
  return api.evidence(nonce, claimsEvidenceJson(claimsEvidence(identityKey, nonce, { ...state, serial })));
}
