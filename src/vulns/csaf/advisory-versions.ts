import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AdvisoryStatement, AdvisoryVersion } from './advisory-store.types.ts';
import type { CsafDocument, CsafRevision } from './csaf.types.ts';

/**
 * Versioning (docs/design/csaf.md "Versions"): integer versions (CSAF §3.2.1.12.8), one per
 * publication that changes something; the revision history lists every published version.
 */

/**
 * What a re-export is compared on: the SHA-256 of the RFC 8785 form of the document with its
 * tracking reduced to the ID and the status. Version, dates, revision history and generator change
 * with every publication; anything else that changes (a status, a note, the publisher) is a change.
 */
export function contentSha256(doc: CsafDocument): string {
  const { id, status } = doc.document.tracking;
  const comparable = { ...doc, document: { ...doc.document, tracking: { id, status } } };
  return createHash('sha256').update(canonicalize(comparable)!).digest('hex');
}

/**
 * The revision date of a new version: now, or 1 ms after the previous revision if the clock has
 * not moved past it. Mandatory tests 6.1.14 and 6.1.16 order revisions by date, so two revisions
 * may not share one.
 */
export function nextRevisionDate(now: Date, previous: AdvisoryVersion | undefined): Date {
  return previous === undefined || now.getTime() > previous.date.getTime() ? now : new Date(previous.date.getTime() + 1);
}

export function revisionHistory(versions: readonly AdvisoryVersion[], next: CsafRevision): CsafRevision[] {
  return [...versions.map((v) => ({ date: v.date.toISOString(), number: String(v.version), summary: v.summary })), next];
}

const MAX_CHANGES_NAMED = 10;

/** The summary of a revision: what changed since the previous version, in the register's words. */
export function revisionSummary(previous: { statement: AdvisoryStatement; status: string } | undefined, statement: AdvisoryStatement, status: string): string {
  if (previous === undefined) return 'Initial version.';
  const changes: string[] = [];
  if (previous.status !== status) changes.push(`document status ${previous.status} → ${status}`);
  for (const [id, releases] of Object.entries(statement)) {
    const before = previous.statement[id];
    if (before === undefined) {
      changes.push(`added ${id}`);
      continue;
    }
    for (const [release, category] of Object.entries(releases)) {
      if (before[release] !== category) changes.push(`${id} ${release}: ${before[release] ?? 'not stated'} → ${category}`);
    }
    for (const release of Object.keys(before)) if (!(release in releases)) changes.push(`${id} ${release}: no longer stated`);
  }
  for (const id of Object.keys(previous.statement)) if (!(id in statement)) changes.push(`removed ${id}`);
  if (changes.length === 0) return 'Updated the vulnerability information.';
  const more = changes.length > MAX_CHANGES_NAMED ? `; and ${changes.length - MAX_CHANGES_NAMED} more` : '';
  return `Changed: ${changes.slice(0, MAX_CHANGES_NAMED).join('; ')}${more}.`;
}
