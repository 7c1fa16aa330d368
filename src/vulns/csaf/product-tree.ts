import { PackageURL } from 'packageurl-js';
import type { ProductRecord } from '../../pki/records.types.ts';
import type { ReleaseRecord } from '../../updates/release.types.ts';
import type { CsafBranch } from './csaf.types.ts';

/**
 * CSAF 2.0 §3.1.2.3 branches, vendor → product_name → product_version: the vendor is the
 * publisher, the product name the product's (its configuration releases as a product of their own,
 * since a firmware and a configuration release may share a version), one product_version per
 * release. The product ID is the release id: stable across re-exports and the same id the API
 * answers with, so a remediation, a flag or a score names exactly one release.
 *
 * Identification helper: a package URL, `pkg:generic/<vendor>/<sku>@<version>` (`<sku>-config`
 * for configuration releases), made by packageurl-js (mandatory test 6.1.13 parses it with the same
 * library). Not a CPE: a CPE is useful when it is in NVD's dictionary, which a manufacturer's own
 * firmware is not, and CPE 2.3's escaping of a free-form version is easy to get wrong; the purl is
 * what the register and the SBOMs already key on.
 */
export function productTree(vendor: string, product: ProductRecord, releases: readonly ReleaseRecord[]): CsafBranch[] {
  const kinds = [
    { kind: 'firmware', name: product.name, purlName: product.sku },
    { kind: 'config', name: `${product.name} configuration`, purlName: `${product.sku}-config` },
  ] as const;
  const products = kinds.flatMap(({ kind, name, purlName }) => {
    const ofKind = releases.filter((r) => r.kind === kind);
    if (ofKind.length === 0) return [];
    const versions: CsafBranch[] = ofKind.map((r) => ({
      category: 'product_version',
      name: r.version,
      product: {
        product_id: r.id,
        name: `${vendor} ${name} ${r.version}`,
        product_identification_helper: { purl: releasePurl(vendor, purlName, r.version) },
      },
    }));
    return [{ category: 'product_name', name, branches: versions } satisfies CsafBranch];
  });
  return products.length === 0 ? [] : [{ category: 'vendor', name: vendor, branches: products }];
}

export function releasePurl(vendor: string, name: string, version: string): string {
  return new PackageURL('generic', vendor, name, version, undefined, undefined).toString();
}
