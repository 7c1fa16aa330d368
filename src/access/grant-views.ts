import type { ProductRecord } from '../pki/records.types.ts';
import { grantStatus, type AccessGrant, type GrantTarget, type SshCertificateRecord } from './access.types.ts';

/**
 * The SSH principals a grant's certificates carry, as the device's AuthorizedPrincipalsFile names
 * them (device-principals.ts): each device, a tag, or the product.
 */
export function grantPrincipals(sku: string, target: GrantTarget): string[] {
  switch (target.kind) {
    case 'devices':
      return target.serials.map((serial) => `device:${sku}:${serial}`);
    case 'tag':
      return [`tag:${target.tag}`];
    case 'product':
      return [`product:${sku}`];
  }
}

function targetView(target: GrantTarget): Record<string, unknown> {
  return target.kind === 'devices' ? { devices: target.serials } : target.kind === 'tag' ? { tag: target.tag } : { product: true };
}

/** What the ledger records of a grant when it is asked for. */
export function grantEventDetails(product: ProductRecord, g: AccessGrant): Record<string, unknown> {
  return {
    product: product.sku,
    serial: g.serial.toString(),
    requester: g.requester,
    ...targetView(g.target),
    purpose: g.purpose,
    ...(g.ticket === null ? {} : { ticket: g.ticket }),
    durationSeconds: g.durationSeconds,
    breakGlass: g.breakGlass,
  };
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** A grant as the API answers it. */
export function grantView(sku: string, g: AccessGrant, now: Date, certificates?: readonly SshCertificateRecord[]): Record<string, unknown> {
  return {
    id: g.id,
    product: sku,
    serial: g.serial.toString(),
    status: grantStatus(g, now),
    requester: g.requester,
    requestedAt: g.requestedAt.toISOString(),
    decideBy: iso(g.decideBy),
    ...targetView(g.target),
    principals: grantPrincipals(sku, g.target),
    purpose: g.purpose,
    ticket: g.ticket,
    durationSeconds: g.durationSeconds,
    breakGlass: g.breakGlass,
    decidedBy: g.decidedBy,
    decidedAt: iso(g.decidedAt),
    decisionNote: g.decisionNote,
    validFrom: iso(g.validFrom),
    validUntil: iso(g.validUntil),
    endedBy: g.endedBy,
    endedAt: iso(g.endedAt),
    endReason: g.endReason,
    ...(g.breakGlass ? { reviewedBy: g.reviewedBy, reviewedAt: iso(g.reviewedAt), reviewNote: g.reviewNote } : {}),
    ...(certificates ? { certificates: certificates.map(certificateView) } : {}),
  };
}

export function certificateView(c: SshCertificateRecord): Record<string, unknown> {
  return {
    serial: c.serial.toString(),
    keyId: c.keyId,
    keyFingerprint: c.keyFingerprint,
    principals: c.principals,
    validAfter: c.validAfter.toISOString(),
    validBefore: c.validBefore.toISOString(),
    issuedAt: c.issuedAt.toISOString(),
  };
}
