import type { ProductRecord } from '../../../pki/records.types.ts';
import type { ReleaseKind, ReleaseRecord } from '../../../updates/release.types.ts';
import type { RegisterRow, VexJustification, VulnerabilityRecord, VulnerabilityStatus } from '../../vulnerability.types.ts';
import type { CsafPublisher, CsafTracking } from '../csaf.types.ts';

/** Records as the stores return them, for the CSAF unit tests: only what the builder reads is meaningful. */

const T0 = new Date('2026-03-01T12:00:00.000Z');

export const publisher: CsafPublisher = { category: 'vendor', name: 'Acme Devices', namespace: 'https://psirt.acme.example' };

export function product(sku = 'GW-1', name = 'Gateway One'): ProductRecord {
  return {
    id: `prd_${sku}`,
    sku,
    name,
    craClass: 'important-1',
    supportUntil: new Date('2035-12-31T23:59:59Z'),
    keyAlgorithm: 'ecdsa-p256',
    certificateValidityDays: 365,
    renewalWindowDays: 30,
    serverKeygen: false,
    reenrollGraceDays: 0,
    owner: 'psirt',
    issuingCaId: 'ca_00000000000000000000',
    createdAt: T0,
    memberStates: null,
  };
}

export function release(id: string, version: string, options: { kind?: ReleaseKind; state?: ReleaseRecord['state']; published?: boolean; createdAt?: Date } = {}): ReleaseRecord {
  const state = options.state ?? 'published';
  const published = options.published ?? state !== 'awaiting-approval';
  return {
    id,
    productId: 'prd_GW-1',
    version,
    securityVersion: 1,
    kind: options.kind ?? 'firmware',
    updateType: 'security',
    hardware: [],
    imageName: `fw-${version}.bin`,
    imageSha256: '0'.repeat(64),
    imageSha512: '0'.repeat(128),
    imageLength: 1,
    sbom: null,
    state,
    createdBy: 'test',
    createdAt: options.createdAt ?? T0,
    publishedAt: published ? T0 : null,
    retainUntil: null,
    targetName: null,
    manifest: null,
    withdrawal: state === 'withdrawn' ? { at: T0, by: 'test', reason: 'test' } : null,
    referenceValues: null,
  };
}

export function vulnerability(id: string, extra: Partial<VulnerabilityRecord> = {}): VulnerabilityRecord {
  return {
    id,
    source: 'osv',
    productId: null,
    modified: T0,
    published: T0,
    withdrawn: null,
    summary: `${id} summary`,
    details: null,
    aliases: [],
    document: null,
    sha256: null,
    createdBy: 'test',
    createdAt: T0,
    updatedBy: 'test',
    updatedAt: T0,
    ...extra,
  };
}

export function row(vulnerabilityId: string, r: ReleaseRecord, status: VulnerabilityStatus, extra: { justification?: VexJustification; fixedIn?: ReleaseRecord | { id: null; version: string }; note?: string } = {}): RegisterRow {
  return {
    vulnerabilityId,
    releaseId: r.id,
    productId: r.productId,
    matched: true,
    components: [],
    firstMatchedAt: T0,
    status,
    justification: extra.justification ?? null,
    fixedInReleaseId: extra.fixedIn?.id ?? null,
    fixedInVersion: extra.fixedIn?.version ?? null,
    note: extra.note ?? null,
    statusSetBy: 'test',
    statusSetAt: T0,
    releaseVersion: r.version,
    releaseKind: r.kind,
    releaseState: r.state,
  };
}

export function tracking(id: string, status: CsafTracking['status'] = 'final'): CsafTracking {
  const at = T0.toISOString();
  return { id, status, version: '1', revision_history: [{ date: at, number: '1', summary: 'Initial version.' }], initial_release_date: at, current_release_date: at, generator: { engine: { name: 'trustplane', version: '0.1.0' }, date: at } };
}
