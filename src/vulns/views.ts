import type { AffectedDevice, ProductVulnerability, RegisterRow, VulnerabilityRecord, VulnerabilityStatus } from './vulnerability.types.ts';

/** What the API answers for a vulnerability in a product's register (docs/design/api.md). */
export function vulnerabilitySummaryView(v: VulnerabilityRecord, rows: readonly RegisterRow[], pv: ProductVulnerability | undefined, affectedDevices: number) {
  const counts: Record<VulnerabilityStatus, number> = { under_investigation: 0, affected: 0, not_affected: 0, fixed: 0 };
  for (const r of rows) counts[r.status]++;
  return {
    id: v.id,
    source: v.source,
    summary: v.summary,
    aliases: v.aliases,
    modified: v.modified.toISOString(),
    published: v.published?.toISOString() ?? null,
    withdrawn: v.withdrawn?.toISOString() ?? null,
    firstSeenAt: pv?.firstSeenAt.toISOString() ?? null,
    activelyExploited: pv?.exploitedAwareAt ? { awareAt: pv.exploitedAwareAt.toISOString(), markedBy: pv.exploitedMarkedBy, markedAt: pv.exploitedMarkedAt?.toISOString() ?? null, note: pv.exploitedNote } : null,
    statusCounts: counts,
    affectedDevices,
    releases: rows.map((r) => ({ releaseId: r.releaseId, version: r.releaseVersion, status: r.status, ...decision(r), matched: r.matched })),
  };
}

/** One vulnerability with every release of the product it concerns and the devices to inform. */
export function vulnerabilityDetailView(v: VulnerabilityRecord, rows: readonly RegisterRow[], pv: ProductVulnerability | undefined, devices: { total: number; items: AffectedDevice[]; next: string | undefined }) {
  const doc = v.document ?? {};
  return {
    ...vulnerabilitySummaryView(v, rows, pv, devices.total),
    details: v.details,
    severity: doc.severity ?? null,
    references: doc.references ?? null,
    sha256: v.sha256,
    createdBy: v.createdBy,
    createdAt: v.createdAt.toISOString(),
    updatedBy: v.updatedBy,
    updatedAt: v.updatedAt.toISOString(),
    releases: rows.map(registerRowView),
    devices: { total: devices.total, items: devices.items.map(deviceView), ...(devices.next === undefined ? {} : { next: devices.next }) },
  };
}

export function registerRowView(r: RegisterRow) {
  return {
    releaseId: r.releaseId,
    version: r.releaseVersion,
    kind: r.releaseKind,
    state: r.releaseState,
    status: r.status,
    ...decision(r),
    note: r.note,
    statusSetBy: r.statusSetBy,
    statusSetAt: r.statusSetAt.toISOString(),
    matched: r.matched,
    firstMatchedAt: r.firstMatchedAt?.toISOString() ?? null,
    components: r.components,
  };
}

export function deviceView(d: AffectedDevice) {
  return { serial: d.serial, state: d.state, releaseId: d.releaseId, version: d.version, status: d.status, installedAt: d.installedAt.toISOString() };
}

function decision(r: RegisterRow) {
  return {
    justification: r.justification,
    fixedIn: r.fixedInVersion === null ? null : { releaseId: r.fixedInReleaseId, version: r.fixedInVersion },
  };
}
