import type { ProductRecord } from '../../pki/records.types.ts';
import type { ReleaseRecord } from '../../updates/release.types.ts';
import type { ProductVulnerability, RegisterRow, VulnerabilityRecord } from '../vulnerability.types.ts';
import type { AdvisoryStatement } from './advisory-store.types.ts';
import type { CsafDocument, CsafProfile, CsafPublisher, CsafTracking, CsafVulnerability } from './csaf.types.ts';
import { productStatement } from './product-status.ts';
import { productTree } from './product-tree.ts';
import { assignCves, vulnerabilityEntry } from './vulnerability-entry.ts';

/** What an advisory says: one vulnerability or all of a product's, as one profile. */
export interface AdvisoryScope {
  profile: CsafProfile;
  product: ProductRecord;
  /** undefined: every vulnerability of the product's register */
  vulnerabilityId: string | undefined;
}

/** The register as read for one advisory. */
export interface RegisterSnapshot {
  /** sorted by id */
  vulnerabilities: VulnerabilityRecord[];
  rows: RegisterRow[];
  productVulnerabilities: ProductVulnerability[];
  /** every release of the product */
  releases: ReleaseRecord[];
}

/** TLP 1.0 WHITE (CSAF 2.0 §3.2.1.5 allows TLP 1.0 labels): what the public directory `white/` holds. */
const TLP_WHITE = { label: 'WHITE', url: 'https://www.first.org/tlp/' } as const;

/**
 * The CSAF document for a scope from the register (docs/design/csaf.md "Mapping"), with the given
 * tracking, and what it states per vulnerability and release (for the next revision's summary);
 * undefined when the register states nothing about a shipped release in it.
 */
export function csafDocument(scope: AdvisoryScope, register: RegisterSnapshot, publisher: CsafPublisher, selfUrl: string, tracking: CsafTracking): { document: CsafDocument; statement: AdvisoryStatement } | undefined {
  const { product } = scope;
  const inOrder = [...register.releases].sort(releaseOrder);
  const rank = new Map(inOrder.map((r, i) => [r.id, i]));
  const releases = new Map(inOrder.map((r) => [r.id, r]));
  const cves = assignCves(register.vulnerabilities);
  const rowsOf = Map.groupBy(register.rows, (r) => r.vulnerabilityId);
  const named = new Set<string>();
  const vulnerabilities: CsafVulnerability[] = [];
  const statements: AdvisoryStatement = {};
  for (const v of register.vulnerabilities) {
    const statement = productStatement(rowsOf.get(v.id) ?? [], releases, product.name, (id) => rank.get(id)!);
    if (!statement) continue;
    for (const id of statement.said.keys()) named.add(id);
    statements[v.id] = Object.fromEntries([...statement.said].map(([id, words]) => [releaseLabel(releases.get(id)!), words]));
    const pv = register.productVulnerabilities.find((p) => p.vulnerabilityId === v.id);
    vulnerabilities.push(vulnerabilityEntry(v, statement, cves.get(v.id), pv, publisher.name));
  }
  if (vulnerabilities.length === 0) return undefined;
  const document: CsafDocument = {
    document: {
      category: scope.profile,
      csaf_version: '2.0',
      title: titleOf(scope, register.vulnerabilities[0]),
      lang: 'en',
      publisher,
      distribution: { tlp: TLP_WHITE },
      notes: [{ category: 'summary', text: summaryOf(scope, publisher.name) }],
      references: [{ category: 'self', summary: 'This document', url: selfUrl }],
      tracking,
    },
    product_tree: { branches: productTree(publisher.name, product, inOrder.filter((r) => named.has(r.id))) },
    vulnerabilities,
  };
  return { document, statement: statements };
}

/** Releases in the order they were made; made in the same instant, by version (numbers as numbers), then id. */
function releaseOrder(a: ReleaseRecord, b: ReleaseRecord): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || a.version.localeCompare(b.version, 'en', { numeric: true }) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A release as a revision summary names it. */
function releaseLabel(r: ReleaseRecord): string {
  return r.kind === 'config' ? `configuration ${r.version}` : r.version;
}

function titleOf(scope: AdvisoryScope, only: VulnerabilityRecord | undefined): string {
  const product = `${scope.product.name} (${scope.product.sku})`;
  const kind = scope.profile === 'csaf_vex' ? 'VEX' : 'security advisory';
  if (scope.vulnerabilityId === undefined || only === undefined) return `${product}: ${kind}`;
  return `${product}: ${kind} for ${only.id}${only.summary ? `, ${only.summary}` : ''}`;
}

function summaryOf(scope: AdvisoryScope, publisher: string): string {
  const which = scope.vulnerabilityId === undefined ? 'each vulnerability in its register' : scope.vulnerabilityId;
  return `${publisher}'s statement, for each published release of ${scope.product.name} (${scope.product.sku}), of its status for ${which}: known affected, not affected (with the justification), fixed, or under investigation, and the release to install where a fix exists.`;
}
