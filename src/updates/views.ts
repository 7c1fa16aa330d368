import type { ProductRecord } from '../pki/records.types.ts';
import type { ReleaseRecord } from './release.types.ts';

/** A release as the API shows it (docs/design/api.md). */
export function releaseView(r: ReleaseRecord, product: ProductRecord) {
  return {
    id: r.id,
    product: product.sku,
    version: r.version,
    securityVersion: r.securityVersion,
    kind: r.kind,
    updateType: r.updateType,
    hardware: r.hardware,
    image: { name: r.imageName, length: r.imageLength, sha256: r.imageSha256, sha512: r.imageSha512 },
    sbom: r.sbom,
    state: r.state,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    ...(r.publishedAt ? { publishedAt: r.publishedAt.toISOString() } : {}),
    ...(r.retainUntil ? { retainUntil: r.retainUntil.toISOString() } : {}),
    ...(r.referenceValues ? { referenceValues: r.referenceValues } : {}),
    ...(r.withdrawal ? { withdrawnAt: r.withdrawal.at.toISOString(), withdrawnBy: r.withdrawal.by, withdrawnReason: r.withdrawal.reason } : {}),
  };
}
