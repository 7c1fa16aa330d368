import type { ReleaseRecord } from '../../updates/release.types.ts';
import type { RegisterRow, VexJustification } from '../vulnerability.types.ts';
import type { CsafVulnerability, ProductStatusCategory } from './csaf.types.ts';

/** What the register states about one vulnerability, in CSAF terms (§3.2.3.9, .5, .14, .12). */
export type ProductStatement = Pick<CsafVulnerability, 'product_status' | 'flags' | 'threats' | 'remediations'> & {
  /** releases that are known affected: what a score applies to */
  knownAffected: string[];
  /** every release the statement names, with what it says of it in words (revision summaries compare these) */
  said: Map<string, string>;
};

/**
 * A release is stated about once it has been published (withdrawn since or not: devices may run
 * it); a release awaiting approval has shipped nowhere, and naming it would announce it. A fix is
 * offered only in a release that is published now (not withdrawn, not deleted).
 */
export const isShipped = (r: ReleaseRecord | undefined): r is ReleaseRecord => r !== undefined && r.publishedAt !== null;
const isInstallable = (r: ReleaseRecord | undefined): r is ReleaseRecord => r !== undefined && r.state === 'published';

/**
 * The register's rows for one vulnerability → product_status and what each status needs:
 * - under_investigation → under_investigation;
 * - affected → known_affected, with a `none_available` remediation (the VEX profile wants an
 *   action statement for every known_affected product, 6.1.27.10);
 * - not_affected → known_not_affected with the justification as its flag (§3.2.3.5, the impact
 *   statement 6.1.27.9 asks for); the row's note, if any, as an `impact` threat;
 * - fixed in the release itself → fixed;
 * - fixed in another release X → the release is known_affected (its devices run the vulnerable
 *   code until they install X, as the register's device list says) with a `vendor_fix` remediation
 *   naming X's version and product ID, and X is `fixed` unless the register states X otherwise.
 *   While X is not installable (awaiting approval, withdrawn, deleted) the remediation is
 *   `none_available`, and X is not named.
 * Notes of other statuses are working notes and are not published. Undefined: nothing to state.
 */
export function productStatement(rows: readonly RegisterRow[], releases: ReadonlyMap<string, ReleaseRecord>, productName: string, rank: (releaseId: string) => number): ProductStatement | undefined {
  // every list in release order, whatever order the rows came in: equal registers, equal documents
  const ordered = (ids: Iterable<string>): string[] => [...ids].sort((a, b) => rank(a) - rank(b));
  const status: Record<ProductStatusCategory, Set<string>> = { known_affected: new Set(), known_not_affected: new Set(), fixed: new Set(), under_investigation: new Set() };
  const flags = new Map<VexJustification, string[]>();
  const threats: NonNullable<CsafVulnerability['threats']> = [];
  const fixes = new Map<string, string[]>();
  const noFix: string[] = [];
  const said = new Map<string, string>();
  const stated = new Set(rows.filter((r) => isShipped(releases.get(r.releaseId))).map((r) => r.releaseId));
  for (const row of rows) {
    if (!stated.has(row.releaseId)) continue;
    const id = row.releaseId;
    switch (row.status) {
      case 'under_investigation':
        status.under_investigation.add(id);
        said.set(id, 'under investigation');
        break;
      case 'affected':
        status.known_affected.add(id);
        noFix.push(id);
        said.set(id, 'known affected, no fix available');
        break;
      case 'not_affected':
        status.known_not_affected.add(id);
        said.set(id, `known not affected (${row.justification!})`);
        flags.set(row.justification!, [...(flags.get(row.justification!) ?? []), id]);
        if (row.note !== null) threats.push({ category: 'impact', details: row.note, product_ids: [id] });
        break;
      case 'fixed': {
        if (row.fixedInReleaseId === id) {
          status.fixed.add(id);
          said.set(id, 'fixed');
          break;
        }
        status.known_affected.add(id);
        const fix = row.fixedInReleaseId === null ? undefined : releases.get(row.fixedInReleaseId);
        if (isInstallable(fix)) {
          fixes.set(fix.id, [...(fixes.get(fix.id) ?? []), id]);
          said.set(id, `known affected, fixed in ${fix.version}`);
          if (!stated.has(fix.id)) {
            status.fixed.add(fix.id);
            said.set(fix.id, 'fixed');
          }
        } else {
          noFix.push(id);
          said.set(id, 'known affected, no fix available');
        }
        break;
      }
    }
  }
  const remediations: NonNullable<CsafVulnerability['remediations']> = ordered(fixes.keys()).map((fixId) => {
    const fix = releases.get(fixId)!;
    const what = fix.kind === 'config' ? `${productName} configuration` : productName;
    return { category: 'vendor_fix', details: `Fixed in ${what} ${fix.version} (product ID ${fix.id}): install that release.`, product_ids: ordered(fixes.get(fixId)!) };
  });
  if (noFix.length > 0) remediations.push({ category: 'none_available', details: 'No fixed release is available for these versions yet.', product_ids: ordered(noFix) });
  const productStatus = Object.fromEntries(Object.entries(status).flatMap(([k, ids]) => (ids.size === 0 ? [] : [[k, ordered(ids)]])));
  if (Object.keys(productStatus).length === 0) return undefined;
  return {
    product_status: productStatus,
    ...(flags.size > 0 ? { flags: [...flags.keys()].sort().map((label) => ({ label, product_ids: ordered(flags.get(label)!) })) } : {}),
    ...(threats.length > 0 ? { threats: threats.sort((a, b) => rank(a.product_ids![0]!) - rank(b.product_ids![0]!)) } : {}),
    ...(remediations.length > 0 ? { remediations } : {}),
    knownAffected: ordered(status.known_affected),
    said,
  };
}
