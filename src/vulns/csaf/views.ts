import type { AdvisoryRecord, AdvisoryVersion } from './advisory-store.types.ts';
import { csafPath, WHITE_DIRECTORY } from './provider-layout.ts';

/** What the API answers for a published advisory (docs/design/api.md). */
export function advisoryView(a: AdvisoryRecord, sku: string, baseUrl: string) {
  const path = csafPath(a.initialReleaseDate, a.fileName);
  return {
    trackingId: a.trackingId,
    product: sku,
    profile: a.profile,
    vulnerabilityId: a.vulnerabilityId,
    version: a.currentVersion,
    status: a.currentStatus,
    initialReleaseDate: a.initialReleaseDate.toISOString(),
    currentReleaseDate: a.currentReleaseDate.toISOString(),
    sha256: a.sha256,
    path,
    url: `${baseUrl}${WHITE_DIRECTORY}/${path}`,
  };
}

export function versionView(v: AdvisoryVersion) {
  return { version: v.version, status: v.status, date: v.date.toISOString(), summary: v.summary, sha256: v.sha256, publishedBy: v.publishedBy };
}
