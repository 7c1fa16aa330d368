import type { Batch, BatchSerial } from '../api.types.ts';
import { formatKeyValues, type Column } from '../output.ts';

export const batchColumns: readonly Column<Batch>[] = [
  { header: 'id', value: (b) => b.id },
  { header: 'factory', value: (b) => b.factory },
  { header: 'state', value: (b) => b.state },
  { header: 'valid from', value: (b) => b.validFrom },
  { header: 'valid until', value: (b) => b.validUntil },
  { header: 'total', value: (b) => b.counts.total },
  { header: 'used', value: (b) => b.counts.used },
  { header: 'unused', value: (b) => b.counts.unused },
];

export const batchSerialColumns: readonly Column<BatchSerial>[] = [
  { header: 'serial', value: (s) => s.serial },
  { header: 'status', value: (s) => s.status },
  { header: 'used at', value: (s) => s.usedAt },
  { header: 'station', value: (s) => s.station },
  { header: 'certificate', value: (s) => s.certificateSerial },
];

export function formatBatch(b: Batch): string {
  return formatKeyValues([
    ['batch', b.id],
    ['product', b.product],
    ['factory', b.factory],
    ['state', b.state],
    ['valid from', b.validFrom],
    ['valid until', b.validUntil],
    ['tokens', `${b.counts.total} (used ${b.counts.used}, unused ${b.counts.unused})`],
    ['created', `${b.createdAt} by ${b.createdBy}`],
    ['closed', b.closedAt],
  ]);
}

/** How many serials are in each status, in a fixed order: `unused 3, used 1, expired 0, void 0`. */
export function serialStatusCounts(serials: readonly BatchSerial[]): string {
  const order: readonly BatchSerial['status'][] = ['unused', 'used', 'expired', 'void'];
  const counts = new Map<string, number>(order.map((s) => [s, 0]));
  for (const s of serials) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ${n}`).join(', ');
}
