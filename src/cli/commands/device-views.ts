import type { CertificateSummary, Device, LifecycleEvent } from '../api.types.ts';
import { formatKeyValues, formatTable, type Column } from '../output.ts';

export const deviceColumns: readonly Column<Device>[] = [
  { header: 'serial', value: (d) => d.serial },
  { header: 'state', value: (d) => d.state },
  { header: 'hardware id', value: (d) => d.hardwareId },
  { header: 'cert not after', value: (d) => d.currentCertificate?.notAfter },
  { header: 'renewal due', value: (d) => yesNo(d.renewalDue) },
];

const certificateColumns: readonly Column<CertificateSummary>[] = [
  { header: 'serial number', value: (c) => c.serialNumber },
  { header: 'status', value: (c) => c.status },
  { header: 'not before', value: (c) => c.notBefore },
  { header: 'not after', value: (c) => c.notAfter },
  {
    header: 'revocation',
    value: (c) => (c.revocationReason === undefined ? '' : `${c.revocationReason} ${c.revokedAt ?? ''}`),
  },
];

export const eventColumns: readonly Column<LifecycleEvent>[] = [
  { header: 'seq', value: (e) => e.seq },
  { header: 'at', value: (e) => e.at },
  { header: 'actor', value: (e) => e.actor },
  { header: 'action', value: (e) => e.action },
  { header: 'details', value: (e) => compactDetails(e.details) },
];

/** A history event and whether the log's newest signed checkpoint covers it (undefined: unknown). */
export type HistoryEvent = LifecycleEvent & { readonly coveredByCheckpoint?: boolean };

/** An event is covered once a signed checkpoint's tree size is past its seq (leaf index = seq). */
export function withCoverage(events: readonly LifecycleEvent[], signedTreeSize: number | undefined): HistoryEvent[] {
  if (signedTreeSize === undefined) return [...events];
  return events.map((e) => ({ ...e, coveredByCheckpoint: e.seq < signedTreeSize }));
}

export const historyColumns: readonly Column<HistoryEvent>[] = [
  ...eventColumns,
  {
    header: 'ledger',
    value: (e) => (e.coveredByCheckpoint === undefined ? undefined : e.coveredByCheckpoint ? 'signed' : 'pending'),
  },
];

export function formatDevice(d: Device): string {
  const current = d.currentCertificate;
  const text = formatKeyValues([
    ['product', d.product],
    ['serial', d.serial],
    ['hardware id', d.hardwareId],
    ['state', d.state],
    ['certificate', current?.serialNumber],
    ['certificate status', current?.status],
    ['not after', current?.notAfter],
    ['renewal due', yesNo(d.renewalDue)],
    ['created', d.createdAt],
    ['updated', d.updatedAt],
  ]);
  const certificates = d.certificates ?? [];
  if (certificates.length === 0) return text;
  return `${text}\ncertificates:\n${formatTable(certificates, certificateColumns)}`;
}

function compactDetails(details: unknown): string {
  if (details === undefined || details === null) return '';
  if (typeof details === 'object' && Object.keys(details).length === 0) return '';
  return JSON.stringify(details);
}

/** Unknown stays `-`: a missing field must not read as "no". */
function yesNo(v: boolean | undefined): string | undefined {
  return v === undefined ? undefined : v ? 'yes' : 'no';
}
