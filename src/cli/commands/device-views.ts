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
