/**
 * The register of privileged access paths (issue 14; docs/design/access-paths.md): every way into
 * devices other than an approved SSH grant, with an owner, an expiry and a review date.
 */

/** A closed list: what kind of door it is. `other` takes what the list does not name (say what in `name`). */
export const accessPathKinds = ['vendor-account', 'debug-port', 'api-token', 'ssh-ca', 'trustplane-token', 'other'] as const;
export type AccessPathKind = (typeof accessPathKinds)[number];

/** `manual`: registered by a person (`access-path add`); `system`: by trustplane itself (its tokens, its SSH CAs). */
export type AccessPathSource = 'manual' | 'system';

export const reviewOutcomes = ['keep', 'retire'] as const;
export type ReviewOutcome = (typeof reviewOutcomes)[number];

/** What the report names: standing access, and paths nobody has looked at when they said they would. */
export const accessPathFindings = ['no-owner', 'no-expiry', 'review-overdue', 'expiry-passed'] as const;
export type AccessPathFinding = (typeof accessPathFindings)[number];

export interface AccessPathRecord {
  id: string;
  kind: AccessPathKind;
  name: string;
  /** the product it opens (null: installation-wide or every product) */
  productId: string | null;
  productSku: string | null;
  /** within the product: a device tag or hardware revision (a debug port enabled on rev B only) */
  scope: string | null;
  description: string | null;
  owner: string | null;
  expiresAt: Date | null;
  /** an end stated as an event ("until the support contract with X ends"), checked at each review */
  expiryCondition: string | null;
  reviewDue: Date;
  source: AccessPathSource;
  /** for system paths: what it stands for (a token id, an SSH CA id), how it is retired */
  systemRef: string | null;
  registeredBy: string;
  registeredAt: Date;
  lastReview: { at: Date; by: string; outcome: ReviewOutcome } | null;
  retired: { at: Date; by: string; reason: string } | null;
}

export interface AccessPathReview {
  at: Date;
  by: string;
  outcome: ReviewOutcome;
  note: string | null;
  /** null when the review retired the path */
  nextReviewDue: Date | null;
  /** what the review recorded about the path itself (an owner named, an expiry set) */
  changes: Record<string, { from: unknown; to: unknown }>;
}

/** A path to write: checked by `checkNewAccessPath` whoever registers it. */
export interface NewAccessPath {
  id: string;
  kind: AccessPathKind;
  name: string;
  productId: string | null;
  scope: string | null;
  description: string | null;
  owner: string | null;
  expiresAt: Date | null;
  expiryCondition: string | null;
  reviewDue: Date;
  source: AccessPathSource;
  systemRef: string | null;
  registeredBy: string;
  registeredAt: Date;
}

export interface AccessPathPolicy {
  /** the review date when none is given (and the expiry is later) */
  reviewIntervalDays: number;
  /** how far ahead a review may be set: a condition is only ever checked by a person at a review */
  maxReviewIntervalDays: number;
}

export const defaultAccessPathPolicy: AccessPathPolicy = { reviewIntervalDays: 90, maxReviewIntervalDays: 365 };
