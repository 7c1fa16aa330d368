import { TrustplaneError } from '../core/errors.ts';
import type { ReleaseRecord } from './release.types.ts';

/** CRA Art 13(9): a security update stays available at least ten years after it is issued. */
export const SECURITY_UPDATE_RETENTION_YEARS = 10;

/**
 * CRA Art 13(9): ten years after issue or the rest of the support period, whichever is longer.
 * Calendar years (UTC): issued 29 February 2028 → retained until 1 March 2038.
 */
export function securityRetentionUntil(issuedAt: Date, supportUntil: Date): Date {
  const tenYears = new Date(issuedAt);
  tenYears.setUTCFullYear(tenYears.getUTCFullYear() + SECURITY_UPDATE_RETENTION_YEARS);
  return tenYears.getTime() >= supportUntil.getTime() ? tenYears : new Date(supportUntil);
}

/**
 * Whether a release may be deleted now. A release nobody has received yet (awaiting approval) may;
 * a published or withdrawn security release only after its retention date, which the refusal names.
 */
export function checkDeletable(release: ReleaseRecord, now: Date): void {
  if (release.retainUntil !== null && now.getTime() < release.retainUntil.getTime()) {
    const until = release.retainUntil.toISOString().slice(0, 10);
    throw new TrustplaneError('RELEASE_RETAINED', `security release ${release.version} is retained until ${until} (CRA Art 13(9)); withdraw it to stop its rollout`, {
      details: { retainUntil: release.retainUntil.toISOString() },
    });
  }
  // Its target is in the product's TUF repository, rollouts may name it and devices may be
  // fetching it: deleting the row would break the repository (and a rollout's reference). A
  // withdrawn release that was published stays in the targets versions already signed.
  if (release.state === 'published' || release.targetName !== null) {
    throw new TrustplaneError('RELEASE_IN_REPOSITORY', `release ${release.version} is ${release.state === 'published' ? 'published in' : 'withdrawn, but was published in'} the product's TUF repository: it cannot be deleted`);
  }
}
