import type { ProductRecord } from '../pki/records.types.ts';
import { parseMetadata, rootSignatureStatus, type RootMetadata } from './tuf/index.ts';
import type { ApprovalView } from './release-approval.ts';
import type { ResignView } from './targets-resign.ts';
import type { RootRecord } from './tuf-store.types.ts';
import { releaseView } from './views.ts';

/**
 * A root version as the API shows it: the people behind its keys, its thresholds, who signed; for
 * a rotation that waits for re-signed targets, how many of its managers have signed them.
 */
export function rootView(record: RootRecord, previous: RootRecord | undefined, awaitingTargets?: { signed: number; threshold: number }) {
  const metadata: RootMetadata = parseMetadata('root', Buffer.from(record.metadata));
  const status = rootSignatureStatus(metadata, previous && previous.state === 'published' ? parseMetadata('root', Buffer.from(previous.metadata)) : undefined);
  const people = [...record.officers, ...(previous?.officers ?? [])];
  return {
    version: record.version,
    state: record.state,
    expires: metadata.signed.expires,
    officers: record.officers.map(({ owner, keyId }) => ({ owner, keyId })),
    rootThreshold: metadata.signed.roles.root.threshold,
    managers: record.managers.map(({ owner, keyId, expiresAt }) => ({ owner, keyId, expires: expiresAt })),
    approvalThreshold: metadata.signed.roles.targets.threshold,
    signatures: metadata.signatures.map((s) => ({ keyId: s.keyid, owner: people.find((p) => p.keyId === s.keyid)?.owner ?? null })),
    status: {
      own: { signed: status.own.validKeyIds.length, threshold: status.own.threshold },
      ...(status.previous ? { previous: { signed: status.previous.validKeyIds.length, threshold: status.previous.threshold } } : {}),
      complete: status.complete,
      ...(awaitingTargets ? { targets: awaitingTargets } : {}),
    },
    proposedBy: record.proposedBy,
    proposedAt: record.proposedAt.toISOString(),
    ...(record.publishedAt ? { publishedAt: record.publishedAt.toISOString() } : {}),
    /** the file itself: `metadata.signed` is what an officer signs (its canonical JSON, TUF 4.1) */
    metadata,
  };
}

/** Targets to re-sign (no release in them): why, under which root, and how far the signatures are. */
export function resignView(v: ResignView) {
  const targets = parseMetadata('targets', Buffer.from(v.draft.metadata));
  return {
    reason: v.reason,
    rootVersion: v.rootVersion,
    targetsVersion: targets.signed.version,
    expires: targets.signed.expires,
    targetNames: Object.keys(targets.signed.targets).sort(),
    signatures: v.status.validKeyIds.map((keyId) => ({ keyId, owner: v.managers.find((m) => m.keyId === keyId)?.owner ?? null })),
    threshold: v.status.threshold,
    managers: v.managers,
    published: v.published,
    /** the targets file: `targets.signed` is what a manager signs (its canonical JSON, TUF 4.1) */
    targets,
  };
}

/** What a release manager is asked to approve, and how far the approvals are. */
export function approvalView(v: ApprovalView & { published?: boolean }, product: ProductRecord) {
  const targets = parseMetadata('targets', Buffer.from(v.targets));
  return {
    release: releaseView(v.release, product),
    targetName: v.targetName,
    targetsVersion: targets.signed.version,
    approvals: v.status.validKeyIds.map((keyId) => ({ keyId, owner: v.managers.find((m) => m.keyId === keyId)?.owner ?? null })),
    threshold: v.status.threshold,
    ...(v.published === undefined ? {} : { published: v.published }),
    /** the targets file: `targets.signed` is what a manager signs (its canonical JSON, TUF 4.1) */
    targets,
  };
}
