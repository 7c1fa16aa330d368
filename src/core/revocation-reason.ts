import { TrustplaneError } from './errors.ts';

/** RFC 5280 §5.3.1 CRLReason; value 7 is unused. */
export const revocationReasons = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof revocationReasons;

/** Reasons an operator may give to `revoke`; hold and removeFromCRL belong to suspend/reinstate. */
export const operatorRevocationReasons = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const satisfies readonly RevocationReason[];

export function parseOperatorRevocationReason(s: unknown): RevocationReason {
  if (typeof s === 'string' && (operatorRevocationReasons as readonly string[]).includes(s)) return s as RevocationReason;
  throw new TrustplaneError('REVOCATION_REASON_INVALID', `reason must be one of ${operatorRevocationReasons.join(', ')}`);
}

export function revocationReasonCode(r: RevocationReason): number {
  return revocationReasons[r];
}
