import type { KeyObject } from 'node:crypto';
import { signClaimsToken, type DeviceClaims } from '../../attestation/claims/index.ts';
import type { ClaimsEvidence } from '../../attestation/evidence.ts';
import { encodeBase64 } from '../../ledger/strict-base64.ts';

/**
 * The evidence of a device without a TPM: its claims over the verifier's nonce, signed with its
 * identity key (the key of its current device certificate), in the JSON wire form.
 */
export function claimsEvidence(
  identityKey: KeyObject,
  nonce: Uint8Array,
  state: Omit<DeviceClaims, 'nonce'>,
): ClaimsEvidence {
  return { kind: 'eat-claims', token: signClaimsToken({ ...state, nonce }, identityKey) };
}

export function claimsEvidenceJson(evidence: ClaimsEvidence): { kind: 'eat-claims'; token: string } {
  return { kind: 'eat-claims', token: encodeBase64(evidence.token) };
}
