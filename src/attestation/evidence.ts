import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { TrustplaneError } from '../core/errors.ts';
import { decodeBase64Strict } from '../ledger/strict-base64.ts';
import { parseCoseSign1 } from '../updates/boot-manifest/cose-sign.ts';
import { MAX_CLAIMS_TOKEN_BYTES } from './claims/claim-keys.ts';
import { decodeTpmQuoteEvidence, type TpmQuoteEvidence } from './tpm/tpm-quote-evidence.ts';

/** A claims token as the agent sends it: `{ kind: 'eat-claims', token: base64 COSE_Sign1 }`. */
export interface ClaimsEvidence {
  readonly kind: 'eat-claims';
  readonly token: Uint8Array;
}

/** The evidence kinds a device may send (docs/design/attestation.md). */
export type Evidence = TpmQuoteEvidence | ClaimsEvidence;

function malformed(message: string): TrustplaneError {
  return new TrustplaneError('ATTESTATION_EVIDENCE_MALFORMED', message);
}

function decodeClaimsEvidence(json: Record<string, unknown>): ClaimsEvidence {
  if (Object.keys(json).some((k) => k !== 'kind' && k !== 'token'))
    throw malformed('eat-claims evidence: unknown member');
  const token = json.token;
  if (typeof token !== 'string' || token.length > 4 * Math.ceil(MAX_CLAIMS_TOKEN_BYTES / 3))
    throw malformed(`eat-claims evidence: token is not base64 of at most ${MAX_CLAIMS_TOKEN_BYTES} bytes`);
  const bytes = decodeBase64Strict(token);
  if (bytes === undefined) throw malformed('eat-claims evidence: token is not canonical base64');
  if (bytes.length > MAX_CLAIMS_TOKEN_BYTES) throw malformed(`eat-claims evidence: token is more than ${MAX_CLAIMS_TOKEN_BYTES} bytes`);
  // The COSE_Sign1 structure is checked before the verifier's transaction (bad input, nothing
  // written); its claims are read only after the signature verifies (verifyClaimsToken).
  parseCoseSign1(bytes, 'ATTESTATION_EVIDENCE_MALFORMED');
  return { kind: 'eat-claims', token: bytes };
}

/** Evidence from its JSON wire form, by `kind` (attacker-controlled; the HTTP layer bounds the body). */
export function decodeEvidence(json: unknown): Evidence {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw malformed('the evidence is not a JSON object');
  const record = json as Record<string, unknown>;
  if (record.kind === 'tpm2-quote') return decodeTpmQuoteEvidence(record);
  if (record.kind === 'eat-claims') return decodeClaimsEvidence(record);
  throw malformed('the evidence kind is not tpm2-quote or eat-claims');
}

/**
 * What identifies a submission's evidence for a retry (challenge.ts, consumeNonce): the SHA-256
 * of its wire JSON in the JSON Canonicalization Scheme (RFC 8785), so the same evidence sent again
 * has the same digest whatever its members' order or spacing. Its fields are canonical base64
 * (decodeEvidence), so equal digests mean equal evidence.
 */
export function evidenceDigest(json: unknown): Uint8Array {
  return createHash('sha256').update(canonicalize(json) ?? '').digest();
}
